package rootcause

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/vocal-dev/vocal/pipeline"
)

// Table names: each is written as NAME.arrow and NAME.parquet in the dataset.
const (
	DriversTable    = "drivers"
	TrendsTable     = "trends"
	KeyDriversTable = "key_drivers"
)

// groupField is the struct field holding the dimension values of a row.
const groupField = "Group"

var timeType = reflect.TypeFor[time.Time]()

// schemaOf derives the Arrow schema of a row type from its `col` tags; the
// Group field becomes one nullable string column per dimension (null: all
// responses). Floats are nullable (NaN is written as null).
func schemaOf(t reflect.Type, dims []string) *arrow.Schema {
	var fields []arrow.Field
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == groupField {
			for _, d := range dims {
				fields = append(fields, arrow.Field{Name: d, Type: arrow.BinaryTypes.String, Nullable: true})
			}
			continue
		}
		name := f.Tag.Get("col")
		var typ arrow.DataType
		switch {
		case f.Type == timeType:
			typ = arrow.FixedWidthTypes.Date32
		case f.Type.Kind() == reflect.String:
			typ = arrow.BinaryTypes.String
		case f.Type.Kind() == reflect.Int64:
			typ = arrow.PrimitiveTypes.Int64
		case f.Type.Kind() == reflect.Float64:
			typ = arrow.PrimitiveTypes.Float64
		case f.Type.Kind() == reflect.Bool:
			typ = arrow.FixedWidthTypes.Boolean
		default:
			panic(fmt.Sprintf("rootcause: column %s: unsupported type %s", name, f.Type))
		}
		fields = append(fields, arrow.Field{Name: name, Type: typ, Nullable: f.Type.Kind() == reflect.Float64})
	}
	md := arrow.NewMetadata([]string{"vocal.dims"}, []string{joinDims(dims)})
	return arrow.NewSchema(fields, &md)
}

// joinDims encodes the dimension names for the schema metadata.
func joinDims(dims []string) string {
	b, _ := json.Marshal(dims)
	return string(b)
}

// toRecord builds one record batch of rows (a slice of a row struct type).
func toRecord[T any](rows []T, dims []string) arrow.RecordBatch {
	t := reflect.TypeFor[T]()
	sc := schemaOf(t, dims)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for _, r := range rows {
		v := reflect.ValueOf(r)
		col := 0
		for i := range t.NumField() {
			f := v.Field(i)
			if t.Field(i).Name == groupField {
				g := f.Interface().([]string)
				for j := range dims {
					sb := b.Field(col).(*array.StringBuilder)
					if g == nil {
						sb.AppendNull()
					} else {
						sb.Append(g[j])
					}
					col++
				}
				continue
			}
			switch fb := b.Field(col).(type) {
			case *array.Date32Builder:
				fb.Append(arrow.Date32FromTime(f.Interface().(time.Time)))
			case *array.StringBuilder:
				fb.Append(f.String())
			case *array.Int64Builder:
				fb.Append(f.Int())
			case *array.Float64Builder:
				x := f.Float()
				if math.IsNaN(x) || math.IsInf(x, 0) {
					fb.AppendNull()
				} else {
					fb.Append(x)
				}
			case *array.BooleanBuilder:
				fb.Append(f.Bool())
			}
			col++
		}
	}
	return b.NewRecordBatch()
}

// writeTable writes rows as DIR/NAME.arrow and DIR/NAME.parquet, each
// atomically (temporary file, sync, rename), and returns both paths.
func writeTable[T any](dir, name string, rows []T, dims []string) ([]string, error) {
	rec := toRecord(rows, dims)
	defer rec.Release()
	var ab bytes.Buffer
	w, err := ipc.NewFileWriter(&ab, ipc.WithSchema(rec.Schema()))
	if err != nil {
		return nil, err
	}
	if err := errors.Join(w.Write(rec), w.Close()); err != nil {
		return nil, fmt.Errorf("%s.arrow: %w", name, err)
	}
	var pb bytes.Buffer
	if err := writeParquet(&pb, rec); err != nil {
		return nil, fmt.Errorf("%s.parquet: %w", name, err)
	}
	paths := []string{filepath.Join(dir, name+".arrow"), filepath.Join(dir, name+".parquet")}
	for i, b := range [][]byte{ab.Bytes(), pb.Bytes()} {
		if err := pipeline.WriteFileAtomic(paths[i], b); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// readTable reads DIR/NAME.parquet back into rows; it returns the dimension
// names too.
func readTable[T any](dir, name string) ([]T, []string, error) {
	path := filepath.Join(dir, name+".parquet")
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	rdr, err := file.NewParquetReader(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	defer tbl.Release()
	asc, err := fr.Schema()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	var dims []string
	md := asc.Metadata()
	if i := md.FindKey("vocal.dims"); i >= 0 {
		if err := json.Unmarshal([]byte(md.Values()[i]), &dims); err != nil {
			return nil, nil, fmt.Errorf("%s: metadata vocal.dims: %w", path, err)
		}
	}
	t := reflect.TypeFor[T]()
	want := schemaOf(t, dims)
	if !sameFields(want, tbl.Schema()) {
		return nil, nil, fmt.Errorf("%s: columns %v, want %v", path, tbl.Schema(), want)
	}
	tr := array.NewTableReader(tbl, 8192)
	defer tr.Release()
	var out []T
	for tr.Next() {
		rec := tr.RecordBatch()
		for i := range int(rec.NumRows()) {
			var r T
			v := reflect.ValueOf(&r).Elem()
			col := 0
			for fi := range t.NumField() {
				f := v.Field(fi)
				if t.Field(fi).Name == groupField {
					var g []string
					for range dims {
						if c := rec.Column(col); !c.IsNull(i) {
							g = append(g, c.(*array.String).Value(i))
						}
						col++
					}
					if len(g) == len(dims) && len(dims) > 0 {
						f.Set(reflect.ValueOf(g))
					}
					continue
				}
				c := rec.Column(col)
				switch a := c.(type) {
				case *array.Date32:
					f.Set(reflect.ValueOf(a.Value(i).ToTime().UTC()))
				case *array.String:
					f.SetString(a.Value(i))
				case *array.Int64:
					f.SetInt(a.Value(i))
				case *array.Float64:
					if a.IsNull(i) {
						f.SetFloat(math.NaN())
					} else {
						f.SetFloat(a.Value(i))
					}
				case *array.Boolean:
					f.SetBool(a.Value(i))
				}
				col++
			}
			out = append(out, r)
		}
	}
	return out, dims, tr.Err()
}

// sameFields compares names and types, ignoring metadata.
func sameFields(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.NumFields() {
		if a.Field(i).Name != b.Field(i).Name || !arrow.TypeEqual(a.Field(i).Type, b.Field(i).Type) {
			return false
		}
	}
	return true
}

// WriteTables writes the three tables into the dataset dir and returns the
// paths written.
func WriteTables(dir string, t *Tables) ([]string, error) {
	var all []string
	for _, w := range []func() ([]string, error){
		func() ([]string, error) { return writeTable(dir, DriversTable, t.Drivers, t.Dims) },
		func() ([]string, error) { return writeTable(dir, TrendsTable, t.Trends, t.Dims) },
		func() ([]string, error) { return writeTable(dir, KeyDriversTable, t.KeyDrivers, t.Dims) },
	} {
		p, err := w()
		if err != nil {
			return all, err
		}
		all = append(all, p...)
	}
	return all, nil
}

// LoadTables reads the three tables of a dataset dir from their Parquet files.
func LoadTables(dir string) (*Tables, error) {
	t := &Tables{}
	var err error
	if t.Drivers, t.Dims, err = readTable[DriverRow](dir, DriversTable); err != nil {
		return nil, err
	}
	if t.Trends, _, err = readTable[TrendRow](dir, TrendsTable); err != nil {
		return nil, err
	}
	if t.KeyDrivers, _, err = readTable[KeyDriverRow](dir, KeyDriversTable); err != nil {
		return nil, err
	}
	return t, nil
}
