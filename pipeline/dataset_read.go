package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// RecordFiles lists the record Parquet files of the dataset dir, oldest run
// first (a part's name starts with its sortable run id), then by partition.
// The files of a run in progress or killed before its commit (see
// BeginRun) are left out.
func RecordFiles(dir string) ([]string, error) { return RecordFilesWith(dir, "") }

// RecordFilesWith is RecordFiles plus the files of the run runID, in
// progress: the run's own aggregate tables read them before its commit.
func RecordFilesWith(dir, runID string) ([]string, error) {
	all, err := filepath.Glob(filepath.Join(dir, "records", "*", "part-*.parquet"))
	if err != nil {
		return nil, err
	}
	skip, err := UncommittedRuns(dir, runID)
	if err != nil {
		return nil, err
	}
	paths := all[:0]
	for _, p := range all {
		if !skip[PartRunID(p)] {
			paths = append(paths, p)
		}
	}
	sort.Slice(paths, func(i, j int) bool {
		bi, bj := filepath.Base(paths[i]), filepath.Base(paths[j])
		if bi != bj {
			return bi < bj
		}
		return paths[i] < paths[j]
	})
	return paths, nil
}

// ReadRecords reads back the output records of the dataset dir, oldest run
// first, and calls fn with each: ID, Text and Out as tagged (topic mentions
// without their cue), the passthrough columns and the extra column's values
// as Fields, Source and Line naming the file and row. A record id written by
// several runs is passed once per run, so the last call wins. It stops at
// the first error of fn.
func ReadRecords(ctx context.Context, dir string, fn func(*Record) error) error {
	paths, err := RecordFiles(dir)
	if err != nil {
		return err
	}
	for _, p := range paths {
		if err := readRecordFile(ctx, p, fn); err != nil {
			return fmt.Errorf("records %s: %w", p, err)
		}
	}
	return nil
}

func readRecordFile(ctx context.Context, path string, fn func(*Record) error) error {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 4096}, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return err
	}
	defer rr.Release()
	line := 0
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := rr.RecordBatch()
		for i := range int(batch.NumRows()) {
			line++
			r, err := recordAt(batch, i)
			if err != nil {
				return fmt.Errorf("row %d: %w", line, err)
			}
			r.Source, r.Line = path, line
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return rr.Err()
}

// recordAt decodes row i of a record table (the schema of inferSchema).
func recordAt(batch arrow.RecordBatch, i int) (*Record, error) {
	r := &Record{Out: &Analysis{}}
	for c, f := range batch.Schema().Fields() {
		col := batch.Column(c)
		if col.IsNull(i) {
			continue
		}
		var raw json.RawMessage
		if ts, ok := col.(*array.Timestamp); ok {
			t := ts.Value(i).ToTime(ts.DataType().(*arrow.TimestampType).Unit)
			raw, _ = json.Marshal(t.UTC().Format(time.RFC3339Nano))
		} else {
			var err error
			if raw, err = json.Marshal(col.GetOneForMarshal(i)); err != nil {
				return nil, fmt.Errorf("column %s: %w", f.Name, err)
			}
		}
		var dst any
		switch f.Name {
		case "id":
			dst = &r.ID
		case "text":
			dst = &r.Text
		case "lang":
			dst = &r.Out.Lang
		case "sentiment_label":
			dst = &r.Out.Sentiment.Label
		case "sentiment_score":
			dst = &r.Out.Sentiment.Score
		case "sentiment_confidence":
			dst = &r.Out.Sentiment.Confidence
		case "sentiment_source":
			dst = &r.Out.Sentiment.Source
		case "aspects":
			dst = &r.Out.Topics
		case "risk_level":
			dst = &r.Out.Risk.Level
		case "risk_hits":
			dst = &r.Out.Risk.Hits
		case "topics":
			continue // the aspects hold them
		case ExtraColumn:
			extra, err := extraFields(col.(*array.String).Value(i))
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", f.Name, err)
			}
			r.Fields = append(r.Fields, extra...)
			continue
		default:
			r.Fields = append(r.Fields, Field{Name: f.Name, Value: raw})
			continue
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return nil, fmt.Errorf("column %s: %w", f.Name, err)
		}
	}
	return r, nil
}

// extraFields decodes the extra column's JSON object, in key order.
func extraFields(s string) ([]Field, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	out := make([]Field, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, Field{Name: k, Value: m[k]})
	}
	return out, nil
}
