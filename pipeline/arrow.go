package pipeline

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/vocal-dev/vocal/sentiment"
)

// Fixed leading columns of the record tables (DESIGN.md).
var (
	aspectType = arrow.StructOf(
		arrow.Field{Name: "topic", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "sentiment", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "score", Type: arrow.PrimitiveTypes.Float64},
		arrow.Field{Name: "evidence", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "start", Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: "end", Type: arrow.PrimitiveTypes.Int32},
	)
	riskHitType = arrow.StructOf(
		arrow.Field{Name: "term", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "category", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "level", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "start", Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: "end", Type: arrow.PrimitiveTypes.Int32},
	)
	fixedFields = []arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "text", Type: arrow.BinaryTypes.String},
		{Name: "lang", Type: arrow.BinaryTypes.String},
		{Name: "sentiment_label", Type: arrow.BinaryTypes.String},
		{Name: "sentiment_score", Type: arrow.PrimitiveTypes.Float64},
		{Name: "topics", Type: arrow.ListOf(arrow.BinaryTypes.String)},
		{Name: "aspects", Type: arrow.ListOf(aspectType)},
		{Name: "risk_level", Type: arrow.BinaryTypes.String},
		{Name: "risk_hits", Type: arrow.ListOf(riskHitType)},
		{Name: "sentiment_confidence", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "sentiment_source", Type: arrow.BinaryTypes.String},
	}
)

// ExtraColumn holds, as a JSON object, passthrough values that did not fit the
// schema inferred from the first batch (a new field, or a value of another
// type), so that nothing is lost.
const ExtraColumn = "extra"

// passKind is the inferred type of a passthrough column.
type passKind uint8

const (
	kindNull passKind = iota
	kindBool
	kindInt
	kindFloat
	kindTime
	kindString
)

func (k passKind) arrowType() arrow.DataType {
	switch k {
	case kindBool:
		return arrow.FixedWidthTypes.Boolean
	case kindInt:
		return arrow.PrimitiveTypes.Int64
	case kindFloat:
		return arrow.PrimitiveTypes.Float64
	case kindTime:
		return &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}
	}
	return arrow.BinaryTypes.String
}

// kindOf classifies one raw JSON value.
func kindOf(v json.RawMessage) passKind {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0 || string(v) == "null":
		return kindNull
	case string(v) == "true" || string(v) == "false":
		return kindBool
	case v[0] == '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			if _, ok := ParseTime(s); ok {
				return kindTime
			}
		}
		return kindString
	case v[0] == '{' || v[0] == '[':
		return kindString
	}
	if _, err := strconv.ParseInt(string(v), 10, 64); err == nil {
		return kindInt
	}
	return kindFloat
}

// widen merges two kinds: int and float make float; anything else mixed is string.
func widen(a, b passKind) passKind {
	switch {
	case a == kindNull:
		return b
	case b == kindNull || a == b:
		return a
	case (a == kindInt && b == kindFloat) || (a == kindFloat && b == kindInt):
		return kindFloat
	}
	return kindString
}

// timeLayouts are the accepted forms of created_at and other time fields.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006/01/02 15:04:05", "2006-01-02", "2006/01/02"}

// ParseTime parses the time forms vocal accepts, keeping the written zone.
func ParseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 8 || len(s) > 40 {
		return time.Time{}, false
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// passColumn is one passthrough column of the table.
type passColumn struct {
	name string
	kind passKind
}

// inferSchema builds the table schema from the first batch of records.
func inferSchema(recs []*Record) (*arrow.Schema, []passColumn) {
	kinds := map[string]passKind{}
	var order []string
	for _, r := range recs {
		for _, f := range r.Fields {
			k, seen := kinds[f.Name]
			if !seen {
				order = append(order, f.Name)
			}
			kinds[f.Name] = widen(k, kindOf(f.Value))
		}
	}
	fields := append([]arrow.Field{}, fixedFields...)
	cols := make([]passColumn, 0, len(order))
	taken := map[string]bool{ExtraColumn: true}
	for _, f := range fixedFields {
		taken[f.Name] = true
	}
	for _, name := range order {
		if taken[name] {
			continue // a passthrough named like a fixed column stays in extra
		}
		k := kinds[name]
		if k == kindNull {
			k = kindString
		}
		cols = append(cols, passColumn{name, k})
		fields = append(fields, arrow.Field{Name: name, Type: k.arrowType(), Nullable: true})
	}
	fields = append(fields, arrow.Field{Name: ExtraColumn, Type: arrow.BinaryTypes.String, Nullable: true})
	return arrow.NewSchema(fields, nil), cols
}

// tableBuilder appends output records to Arrow builders.
type tableBuilder struct {
	schema *arrow.Schema
	cols   []passColumn
	index  map[string]int
	b      *array.RecordBuilder
	rows   int
}

func newTableBuilder(mem memory.Allocator, schema *arrow.Schema, cols []passColumn) *tableBuilder {
	idx := make(map[string]int, len(cols))
	for i, c := range cols {
		idx[c.name] = i
	}
	return &tableBuilder{schema: schema, cols: cols, index: idx, b: array.NewRecordBuilder(mem, schema)}
}

func (t *tableBuilder) append(r *Record) {
	b, o := t.b, r.Out
	b.Field(0).(*array.StringBuilder).Append(r.ID)
	b.Field(1).(*array.StringBuilder).Append(r.Text)
	b.Field(2).(*array.StringBuilder).Append(o.Lang)
	b.Field(3).(*array.StringBuilder).Append(o.Sentiment.Label)
	b.Field(4).(*array.Float64Builder).Append(o.Sentiment.Score)

	tl := b.Field(5).(*array.ListBuilder)
	tl.Append(true)
	tv := tl.ValueBuilder().(*array.StringBuilder)
	seen := map[string]bool{}
	for _, m := range o.Topics {
		if !seen[m.Topic] {
			seen[m.Topic] = true
			tv.Append(m.Topic)
		}
	}

	al := b.Field(6).(*array.ListBuilder)
	al.Append(true)
	as := al.ValueBuilder().(*array.StructBuilder)
	for _, m := range o.Topics {
		as.Append(true)
		as.FieldBuilder(0).(*array.StringBuilder).Append(m.Topic)
		as.FieldBuilder(1).(*array.StringBuilder).Append(m.Sentiment)
		as.FieldBuilder(2).(*array.Float64Builder).Append(m.Score)
		as.FieldBuilder(3).(*array.StringBuilder).Append(m.Evidence)
		as.FieldBuilder(4).(*array.Int32Builder).Append(int32(m.Start))
		as.FieldBuilder(5).(*array.Int32Builder).Append(int32(m.End))
	}

	b.Field(7).(*array.StringBuilder).Append(o.Risk.Level)
	rl := b.Field(8).(*array.ListBuilder)
	rl.Append(true)
	rs := rl.ValueBuilder().(*array.StructBuilder)
	for _, h := range o.Risk.Hits {
		rs.Append(true)
		rs.FieldBuilder(0).(*array.StringBuilder).Append(h.Term)
		rs.FieldBuilder(1).(*array.StringBuilder).Append(h.Category)
		rs.FieldBuilder(2).(*array.StringBuilder).Append(h.Level)
		rs.FieldBuilder(3).(*array.Int32Builder).Append(int32(h.Start))
		rs.FieldBuilder(4).(*array.Int32Builder).Append(int32(h.End))
	}
	if o.Sentiment.Source == sentiment.SourceModel {
		b.Field(9).(*array.Float64Builder).Append(o.Sentiment.Confidence)
	} else {
		b.Field(9).AppendNull()
	}
	b.Field(10).(*array.StringBuilder).Append(o.Sentiment.Source)

	filled := make([]bool, len(t.cols))
	var extra map[string]json.RawMessage
	for _, f := range r.Fields {
		i, ok := t.index[f.Name]
		if !ok || !appendPass(b.Field(len(fixedFields)+i), t.cols[i].kind, f.Value) {
			if extra == nil {
				extra = map[string]json.RawMessage{}
			}
			extra[f.Name] = f.Value
			continue
		}
		filled[i] = true
	}
	for i, ok := range filled {
		if !ok {
			b.Field(len(fixedFields) + i).AppendNull()
		}
	}
	eb := b.Field(len(fixedFields) + len(t.cols)).(*array.StringBuilder)
	if extra == nil {
		eb.AppendNull()
	} else {
		js, _ := json.Marshal(extra)
		eb.Append(string(js))
	}
	t.rows++
}

// appendPass appends v to a passthrough column; false when v does not fit its
// type (the caller keeps it in the extra column). The builder is unchanged
// then.
func appendPass(fb array.Builder, kind passKind, v json.RawMessage) bool {
	k := kindOf(v)
	if k == kindNull {
		fb.AppendNull()
		return true
	}
	switch kind {
	case kindBool:
		if k != kindBool {
			return false
		}
		fb.(*array.BooleanBuilder).Append(string(bytes.TrimSpace(v)) == "true")
	case kindInt:
		n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
		if err != nil {
			return false
		}
		fb.(*array.Int64Builder).Append(n)
	case kindFloat:
		if k != kindInt && k != kindFloat {
			return false
		}
		x, err := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
		if err != nil {
			return false
		}
		fb.(*array.Float64Builder).Append(x)
	case kindTime:
		var s string
		if json.Unmarshal(v, &s) != nil {
			return false
		}
		tm, ok := ParseTime(s)
		if !ok {
			return false
		}
		fb.(*array.TimestampBuilder).Append(arrow.Timestamp(tm.UnixMilli()))
	default:
		var s string
		// Any JSON string (a time-like one too) is stored unquoted.
		if v[0] == '"' && json.Unmarshal(v, &s) == nil {
			fb.(*array.StringBuilder).Append(s)
		} else {
			fb.(*array.StringBuilder).Append(string(bytes.TrimSpace(v)))
		}
	}
	return true
}

// flush returns the rows appended so far as a record batch (nil when empty).
func (t *tableBuilder) flush() arrow.RecordBatch {
	if t.rows == 0 {
		return nil
	}
	t.rows = 0
	return t.b.NewRecordBatch()
}

func (t *tableBuilder) release() { t.b.Release() }
