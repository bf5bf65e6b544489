package rootcause

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/vocal-dev/vocal/pipeline"
)

// Aspect sentiments, in table order.
var sentiments = []string{"negative", "neutral", "positive"}

func sentimentCode(s string) (uint16, bool) {
	for i, x := range sentiments {
		if s == x {
			return uint16(i), true
		}
	}
	return 0, false
}

// row is what the tables need of one output record.
type row struct {
	ms     int64 // record time, Unix milliseconds; valid when hasT
	hasT   bool
	neg    bool  // document sentiment negative
	group  int32 // index into dataset.groups
	scores [nScores]float64
	ments  []uint16 // topic<<2 | sentiment code, each once
}

// dataset holds the rows of the records in DIR/records/**/*.parquet, one per
// record id (a later run's record replaces an earlier one).
type dataset struct {
	cfg      Config
	topics   []string
	topicIdx map[string]int
	groups   [][]string
	groupIdx map[string]int32
	rows     []row
	byID     map[string]int
	keys     map[string]map[string]int // join key name -> key value -> row
	files    int
	dupIDs   int64
	invalid  int64 // inline score values out of range or not numbers
}

func newDataset(cfg Config, keyNames []string) *dataset {
	d := &dataset{cfg: cfg, topicIdx: map[string]int{}, groupIdx: map[string]int32{}, byID: map[string]int{}, keys: map[string]map[string]int{}}
	for _, k := range keyNames {
		d.keys[k] = map[string]int{}
	}
	return d
}

// load reads every committed record file and those of the run runID.
func (d *dataset) load(ctx context.Context, dir, runID string) error {
	paths, err := pipeline.RecordFilesWith(dir, runID)
	if err != nil {
		return err
	}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := d.loadFile(ctx, p); err != nil {
			return fmt.Errorf("records %s: %w", p, err)
		}
		d.files++
	}
	return nil
}

// columns of one record file that the tables read, by position in the batch
// (-1 when the file lacks it).
type fileCols struct {
	id, label, aspects, time, extra int
	dims                            []int
	scores                          [nScores]int
	keys                            map[string]int
}

func (d *dataset) loadFile(ctx context.Context, path string) error {
	rdr, err := file.OpenParquetFile(path, false)
	if err != nil {
		return err
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: 8192}, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	want := map[string]bool{"id": true, "sentiment_label": true, pipeline.ExtraColumn: true, d.cfg.TimeField: true}
	for _, n := range d.cfg.Fields.names() {
		want[n] = true
	}
	for _, n := range d.cfg.By {
		want[n] = true
	}
	for k := range d.keys {
		want[k] = true
	}
	sc := rdr.MetaData().Schema
	var leaves []int
	for i := range sc.NumColumns() {
		p := sc.Column(i).ColumnPath()
		top := p[0]
		if want[top] || (top == "aspects" && (p[len(p)-1] == "topic" || p[len(p)-1] == "sentiment")) {
			leaves = append(leaves, i)
		}
	}
	rr, err := fr.GetRecordReader(ctx, leaves, nil)
	if err != nil {
		return err
	}
	defer rr.Release()
	s := rr.Schema()
	c := fileCols{
		id: fieldIndex(s, "id"), label: fieldIndex(s, "sentiment_label"), aspects: fieldIndex(s, "aspects"),
		time: fieldIndex(s, d.cfg.TimeField), extra: fieldIndex(s, pipeline.ExtraColumn), keys: map[string]int{},
	}
	if c.id < 0 {
		return fmt.Errorf("no id column")
	}
	for _, n := range d.cfg.By {
		c.dims = append(c.dims, fieldIndex(s, n))
	}
	for j, n := range d.cfg.Fields.names() {
		c.scores[j] = fieldIndex(s, n)
	}
	for k := range d.keys {
		c.keys[k] = fieldIndex(s, k)
	}
	for rr.Next() {
		if err := d.addBatch(rr.RecordBatch(), &c); err != nil {
			return err
		}
	}
	return rr.Err()
}

func (d *dataset) addBatch(rec arrow.RecordBatch, c *fileCols) error {
	col := func(i int) arrow.Array {
		if i < 0 {
			return nil
		}
		return rec.Column(i)
	}
	ids := col(c.id)
	label, extraCol, timeCol := col(c.label), col(c.extra), col(c.time)
	var asp *array.List
	var aTopic, aSent arrow.Array
	if a, ok := col(c.aspects).(*array.List); ok {
		asp = a
		st := a.ListValues().(*array.Struct)
		stt := st.DataType().(*arrow.StructType)
		if i, ok := stt.FieldIdx("topic"); ok {
			aTopic = st.Field(i)
		}
		if i, ok := stt.FieldIdx("sentiment"); ok {
			aSent = st.Field(i)
		}
	}
	dimVals := make([]string, len(d.cfg.By))
	for i := range int(rec.NumRows()) {
		id, ok := cellString(ids, i)
		if !ok {
			continue
		}
		var extra map[string]json.RawMessage
		extraLoaded := false
		fromExtra := func(name string) (string, bool) {
			if !extraLoaded {
				extraLoaded = true
				if extraCol != nil && !extraCol.IsNull(i) {
					if s, ok := cellString(extraCol, i); ok {
						json.Unmarshal([]byte(s), &extra)
					}
				}
			}
			return jsonScalar(extra[name])
		}
		var r row
		if timeCol != nil {
			if t, ok := cellTime(timeCol, i); ok {
				r.ms, r.hasT = t.UnixMilli(), true
			}
		}
		if !r.hasT {
			if s, ok := fromExtra(d.cfg.TimeField); ok {
				if t, ok := pipeline.ParseTime(s); ok {
					r.ms, r.hasT = t.UnixMilli(), true
				}
			}
		}
		if label != nil {
			s, _ := cellString(label, i)
			r.neg = s == "negative"
		}
		for j, ci := range c.dims {
			v, ok := "", false
			if ci >= 0 {
				v, ok = cellString(rec.Column(ci), i)
			}
			if !ok {
				v, _ = fromExtra(d.cfg.By[j])
			}
			dimVals[j] = v
		}
		r.group = d.group(dimVals)
		r.scores = noScores()
		for j, ci := range c.scores {
			x, ok := math.NaN(), false
			present := false
			if ci >= 0 && !rec.Column(ci).IsNull(i) {
				present = true
				x, ok = cellNumber(rec.Column(ci), i)
			} else if s, has := fromExtra(d.cfg.Fields.names()[j]); has {
				present = true
				x, ok = parseNumber(s)
			}
			if !present {
				continue
			}
			if !ok || !validScore(j, x) {
				d.invalid++
				continue
			}
			r.scores[j] = x
		}
		if asp != nil && !asp.IsNull(i) && aTopic != nil && aSent != nil {
			start, end := asp.ValueOffsets(i)
			for k := int(start); k < int(end); k++ {
				t, ok1 := cellString(aTopic, k)
				s, _ := cellString(aSent, k)
				code, ok2 := sentimentCode(s)
				if !ok1 || !ok2 {
					continue
				}
				m := uint16(d.topic(t))<<2 | code
				if !containsU16(r.ments, m) {
					r.ments = append(r.ments, m)
				}
			}
		}
		idx, dup := d.byID[id]
		if dup {
			d.dupIDs++
			d.rows[idx] = r
		} else {
			idx = len(d.rows)
			d.byID[id] = idx
			d.rows = append(d.rows, r)
		}
		for name, m := range d.keys {
			var k string
			var ok bool
			if name == "id" {
				k, ok = id, true
			} else if ci := c.keys[name]; ci >= 0 && !rec.Column(ci).IsNull(i) {
				k, ok = cellString(rec.Column(ci), i)
			} else {
				k, ok = fromExtra(name)
			}
			if ok && k != "" {
				m[k] = idx
			}
		}
	}
	return nil
}

func containsU16(s []uint16, x uint16) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

func (d *dataset) topic(t string) int {
	i, ok := d.topicIdx[t]
	if !ok {
		i = len(d.topics)
		d.topicIdx[t] = i
		d.topics = append(d.topics, t)
	}
	return i
}

func (d *dataset) group(vals []string) int32 {
	key := strings.Join(vals, "\x1f")
	g, ok := d.groupIdx[key]
	if !ok {
		g = int32(len(d.groups))
		d.groupIdx[key] = g
		d.groups = append(d.groups, append([]string(nil), vals...))
	}
	return g
}

// JoinStats counts the scores join of one scores table.
type JoinStats struct {
	File      string `json:"file"`
	Key       string `json:"key"`
	Keys      int64  `json:"keys"`      // distinct keys with scores
	Matched   int64  `json:"matched"`   // keys found among the records
	Unmatched int64  `json:"unmatched"` // keys no record has (kept in the scores part, counted here)
	ScoreFileStats
	UnmatchedSample []string `json:"unmatched_sample,omitempty"` // up to 10 unmatched keys
}

// applyScores sets the scores of the matching rows; a value present in the
// table replaces the record's inline one.
func (d *dataset) applyScores(s *Scores) JoinStats {
	js := JoinStats{File: s.Path, Key: s.KeyName, Keys: int64(len(s.Keys)), ScoreFileStats: s.Stats}
	m := d.keys[s.KeyName]
	for i, k := range s.Keys {
		idx, ok := m[k]
		if !ok {
			js.Unmatched++
			if len(js.UnmatchedSample) < 10 {
				js.UnmatchedSample = append(js.UnmatchedSample, k)
			}
			continue
		}
		js.Matched++
		for j, x := range s.Values[i] {
			if !math.IsNaN(x) {
				d.rows[idx].scores[j] = x
			}
		}
	}
	return js
}
