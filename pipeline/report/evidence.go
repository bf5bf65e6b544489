package report

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/vocal-dev/vocal/lexicons"
)

// Segment is a piece of a snippet; Mark highlights the evidence.
type Segment struct {
	Text string
	Mark bool
}

// Snippet is a record's text with its evidence spans highlighted.
type Snippet struct {
	ID       string
	Segments []Segment
	Score    float64 // the aspect's score (negative evidence) or 0
	Level    string  // risk level (risk hits)
	Terms    string  // risk terms and categories
}

// snippetRunes bounds the text shown around the evidence.
const snippetRunes = 160

// highlight cuts text into segments marking the rune spans [start, end),
// which must be sorted and disjoint; the text is cut to about snippetRunes
// around the first span.
func highlight(text string, spans [][2]int) []Segment {
	rs := []rune(text)
	lo, hi := 0, len(rs)
	if len(spans) > 0 && len(rs) > snippetRunes {
		lo = max(0, spans[0][0]-snippetRunes/3)
		hi = min(len(rs), lo+snippetRunes)
	}
	var out []Segment
	pos := lo
	for _, sp := range spans {
		s, e := max(sp[0], pos), min(sp[1], hi)
		if s >= e || s < 0 || e > len(rs) {
			continue
		}
		if s > pos {
			out = append(out, Segment{Text: string(rs[pos:s])})
		}
		out = append(out, Segment{Text: string(rs[s:e]), Mark: true})
		pos = e
	}
	if pos < hi {
		out = append(out, Segment{Text: string(rs[pos:hi])})
	}
	if lo > 0 {
		out = append([]Segment{{Text: "…"}}, out...)
	}
	if hi < len(rs) {
		out = append(out, Segment{Text: "…"})
	}
	return out
}

// evidence gathers, from every record file, the most negative aspect
// mentions per topic (up to perTopic each) and the records with the highest
// risk (up to risks, level medium or above).
type evidence struct {
	perTopic, risks int
	neg             map[string][]Snippet
	risk            []Snippet
}

func (e *evidence) load(ctx context.Context, dir string) error {
	paths, err := filepath.Glob(filepath.Join(dir, "records", "*", "part-*.parquet"))
	if err != nil {
		return err
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := e.loadFile(ctx, p); err != nil {
			return fmt.Errorf("records %s: %w", p, err)
		}
	}
	for t, list := range e.neg {
		sortSnippets(list)
		e.neg[t] = list[:min(len(list), e.perTopic)]
	}
	e.trimRisks()
	return nil
}

func (e *evidence) loadFile(ctx context.Context, path string) error {
	rdr, err := file.OpenParquetFile(path, false)
	if err != nil {
		return err
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: 4096}, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	want := map[string]bool{"id": true, "text": true, "aspects": true, "risk_level": true, "risk_hits": true}
	sc := rdr.MetaData().Schema
	var leaves []int
	for i := range sc.NumColumns() {
		if want[sc.Column(i).ColumnPath()[0]] {
			leaves = append(leaves, i)
		}
	}
	rr, err := fr.GetRecordReader(ctx, leaves, nil)
	if err != nil {
		return err
	}
	defer rr.Release()
	for rr.Next() {
		e.addBatch(rr.RecordBatch())
	}
	return rr.Err()
}

func column(rec arrow.RecordBatch, name string) arrow.Array {
	if idx := rec.Schema().FieldIndices(name); len(idx) > 0 {
		return rec.Column(idx[0])
	}
	return nil
}

func structField(s *array.Struct, name string) arrow.Array {
	if i, ok := s.DataType().(*arrow.StructType).FieldIdx(name); ok {
		return s.Field(i)
	}
	return nil
}

func (e *evidence) addBatch(rec arrow.RecordBatch) {
	ids, _ := column(rec, "id").(*array.String)
	texts, _ := column(rec, "text").(*array.String)
	if ids == nil || texts == nil {
		return
	}
	if asp, ok := column(rec, "aspects").(*array.List); ok {
		st := asp.ListValues().(*array.Struct)
		topic, _ := structField(st, "topic").(*array.String)
		sent, _ := structField(st, "sentiment").(*array.String)
		score, _ := structField(st, "score").(*array.Float64)
		start, _ := structField(st, "start").(*array.Int32)
		end, _ := structField(st, "end").(*array.Int32)
		if topic != nil && sent != nil && score != nil && start != nil && end != nil {
			for i := range int(rec.NumRows()) {
				if asp.IsNull(i) {
					continue
				}
				s, t := asp.ValueOffsets(i)
				for k := int(s); k < int(t); k++ {
					if sent.Value(k) != "negative" {
						continue
					}
					e.addNegative(topic.Value(k), Snippet{ID: ids.Value(i), Score: score.Value(k),
						Segments: highlight(texts.Value(i), [][2]int{{int(start.Value(k)), int(end.Value(k))}})})
				}
			}
		}
	}
	levels, _ := column(rec, "risk_level").(*array.String)
	hits, _ := column(rec, "risk_hits").(*array.List)
	if levels == nil || hits == nil {
		return
	}
	st := hits.ListValues().(*array.Struct)
	term, _ := structField(st, "term").(*array.String)
	cat, _ := structField(st, "category").(*array.String)
	start, _ := structField(st, "start").(*array.Int32)
	end, _ := structField(st, "end").(*array.Int32)
	if term == nil || cat == nil || start == nil || end == nil {
		return
	}
	for i := range int(rec.NumRows()) {
		lvl := levels.Value(i)
		if lexicons.LevelRank(lvl) < lexicons.LevelRank(lexicons.LevelMedium) || hits.IsNull(i) {
			continue
		}
		s, t := hits.ValueOffsets(i)
		var spans [][2]int
		terms := ""
		for k := int(s); k < int(t); k++ {
			spans = append(spans, [2]int{int(start.Value(k)), int(end.Value(k))})
			if terms != "" {
				terms += ", "
			}
			terms += term.Value(k) + " (" + cat.Value(k) + ")"
		}
		sort.Slice(spans, func(a, b int) bool { return spans[a][0] < spans[b][0] })
		e.addRisk(Snippet{ID: ids.Value(i), Level: lvl, Terms: terms, Segments: highlight(texts.Value(i), disjoint(spans))})
	}
}

// disjoint drops spans overlapping an earlier one.
func disjoint(spans [][2]int) [][2]int {
	var out [][2]int
	for _, s := range spans {
		if len(out) == 0 || s[0] >= out[len(out)-1][1] {
			out = append(out, s)
		}
	}
	return out
}

// addNegative keeps the perTopic most negative snippets of a topic, one per
// record.
func (e *evidence) addNegative(topic string, s Snippet) {
	list := e.neg[topic]
	for i, x := range list {
		if x.ID == s.ID {
			if s.Score < x.Score {
				list[i] = s
			}
			return
		}
	}
	list = append(list, s)
	if len(list) > 4*e.perTopic {
		sortSnippets(list)
		list = list[:e.perTopic]
	}
	e.neg[topic] = list
}

func sortSnippets(list []Snippet) {
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].Score != list[j].Score {
			return list[i].Score < list[j].Score
		}
		return list[i].ID < list[j].ID
	})
}

// addRisk keeps the risks highest-level records (ties by id).
func (e *evidence) addRisk(s Snippet) {
	e.risk = append(e.risk, s)
	if len(e.risk) > 4*e.risks {
		e.trimRisks()
	}
}

func (e *evidence) trimRisks() {
	sort.SliceStable(e.risk, func(i, j int) bool {
		ri, rj := lexicons.LevelRank(e.risk[i].Level), lexicons.LevelRank(e.risk[j].Level)
		if ri != rj {
			return ri > rj
		}
		return e.risk[i].ID < e.risk[j].ID
	})
	if len(e.risk) > e.risks {
		e.risk = e.risk[:e.risks]
	}
}
