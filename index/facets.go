package index

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/numeric"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	"github.com/blevesearch/vellum"
)

// Facets are counted on postings bitmaps rather than by bleve's facet
// builders: bleve decodes the doc values of every match and counts each
// value in a map, which took 2-5 ms per facet field over 10-30k matches;
// intersecting the matches with each value's postings takes microseconds.
// A search records its matches (a bitset of segment-local document numbers
// per segment) while bleve collects the page of hits, and counts the facets
// on the same index snapshot before bleve closes it.

// matchSet records the matches of a search on one index snapshot.
type matchSet struct {
	segs    []*scorch.SegmentSnapshot
	offsets []uint64   // first global document number of each segment
	local   [][]uint64 // matches per segment: bit d of the words is document d
	cur     int        // segment of the last match
	n       int
	all     bool // every live document matches
}

func newMatchSet(r bindex.IndexReader) (*matchSet, error) {
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, fmt.Errorf("facets: index reader is a %T, not a scorch snapshot", r)
	}
	segs := snap.Segments()
	m := &matchSet{segs: segs, offsets: make([]uint64, len(segs)), local: make([][]uint64, len(segs))}
	var running uint64
	for i, s := range segs { // as scorch numbers documents: segment by segment
		m.offsets[i] = running
		running += s.Segment().Count()
	}
	return m, nil
}

// add records the match with global document number doc. Searchers return
// matches in ascending order, so the segment is found by moving forward.
func (m *matchSet) add(doc uint64) {
	if doc < m.offsets[m.cur] {
		m.cur = 0
	}
	for m.cur+1 < len(m.offsets) && doc >= m.offsets[m.cur+1] {
		m.cur++
	}
	words := m.local[m.cur]
	if words == nil {
		words = make([]uint64, (m.segs[m.cur].Segment().Count()+63)/64)
		m.local[m.cur] = words
	}
	d := doc - m.offsets[m.cur]
	if bit := uint64(1) << (d % 64); words[d/64]&bit == 0 {
		words[d/64] |= bit
		m.n++
	}
}

// bitmaps returns the matches of each segment as a bitmap (nil for none).
func (m *matchSet) bitmaps() []*roaring.Bitmap {
	out := make([]*roaring.Bitmap, len(m.local))
	for i, words := range m.local {
		switch {
		case m.all:
			out[i] = roaring.New()
			out[i].AddRange(0, m.segs[i].Segment().Count())
			if del := m.segs[i].Deleted(); del != nil {
				out[i].AndNot(del)
			}
		case words != nil:
			out[i] = roaring.FromDense(words, false)
		}
	}
	return out
}

// matchAll makes every live document a match.
func (m *matchSet) matchAll() {
	m.all = true
	for _, s := range m.segs {
		m.n += int(s.Count())
	}
}

// countUnscored counts the matches of q and their facets. Without scores,
// bleve's searchers for conjunctions and disjunctions of terms (filters,
// ranges) work on postings bitmaps.
func countUnscored(ctx context.Context, idx bleve.Index, q query.Query, specs []facetSpec) (int, []Facet, error) {
	ai, err := idx.Advanced()
	if err != nil {
		return 0, nil, err
	}
	r, err := ai.Reader()
	if err != nil {
		return 0, nil, err
	}
	defer r.Close()
	m, err := newMatchSet(r)
	if err != nil {
		return 0, nil, err
	}
	if _, all := q.(*query.MatchAllQuery); all {
		m.matchAll()
	} else if err := m.collect(ctx, r, idx.Mapping(), q); err != nil {
		return 0, nil, err
	}
	facets, err := m.count(specs)
	return m.n, facets, err
}

// collect records the matches of q, unscored.
func (m *matchSet) collect(ctx context.Context, r bindex.IndexReader, im mapping.IndexMapping, q query.Query) error {
	s, err := q.Searcher(ctx, r, im, search.SearcherOptions{Score: bleve.ScoreNone})
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	defer s.Close()
	sctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(s.DocumentMatchPoolSize(), 0),
		IndexReader: r}
	for i := 0; ; i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		d, err := s.Next(sctx)
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		if d == nil {
			return nil
		}
		m.add(d.IndexInternalID.Value())
		sctx.DocumentMatchPool.Put(d)
	}
}

// facetSpec is one facet to count: a field, how its terms read, and the
// number of values to return.
type facetSpec struct {
	field string
	kind  string
	size  int
}

// count counts the facets over the recorded matches.
func (m *matchSet) count(specs []facetSpec) ([]Facet, error) {
	matches := m.bitmaps()
	out := make([]Facet, 0, len(specs))
	for _, spec := range specs {
		f, err := m.countField(matches, spec)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func (m *matchSet) countField(matches []*roaring.Bitmap, spec facetSpec) (Facet, error) {
	counts := map[string]int{}
	with := 0 // matches holding a value
	var pl segment.PostingsList
	var it segment.PostingsIterator
	for i, s := range m.segs {
		match := matches[i]
		if match == nil {
			continue
		}
		dict, err := s.Segment().Dictionary(spec.field)
		if err != nil {
			return Facet{}, fmt.Errorf("facet %s: %w", spec.field, err)
		}
		terms := dict.AutomatonIterator(&alwaysMatch, nil, nil)
		seen := roaring.New() // documents holding a value
		for {
			e, err := terms.Next()
			if err != nil {
				return Facet{}, fmt.Errorf("facet %s: %w", spec.field, err)
			}
			if e == nil {
				break
			}
			value, ok := termValue(spec, e.Term)
			if !ok {
				continue
			}
			// Deleted documents are never matches: no need to exclude them.
			if pl, err = dict.PostingsList([]byte(e.Term), nil, pl); err != nil {
				return Facet{}, fmt.Errorf("facet %s: %w", spec.field, err)
			}
			it = pl.Iterator(false, false, false, it)
			opt, ok := it.(segment.OptimizablePostingsIterator)
			if !ok { // every zap version's and scorch's empty iterator are
				return Facet{}, fmt.Errorf("facet %s: postings of a %T have no bitmap", spec.field, it)
			}
			hits := intersect(match, opt, seen)
			if hits > 0 {
				counts[value] += hits
			}
		}
		with += int(seen.AndCardinality(match))
	}
	return facetOf(spec, counts, m.n-with), nil
}

// intersect counts the documents of the postings opt among match, and adds
// the postings to seen. The iterator's bitmap is reused for the next term.
func intersect(match *roaring.Bitmap, opt segment.OptimizablePostingsIterator, seen *roaring.Bitmap) int {
	if bm := opt.ActualBitmap(); bm != nil {
		seen.Or(bm)
		return int(match.AndCardinality(bm))
	}
	if doc, ok := opt.DocNum1Hit(); ok {
		seen.Add(uint32(doc))
		if match.Contains(uint32(doc)) {
			return 1
		}
	}
	return 0
}

// alwaysMatch lists every term of a dictionary.
var alwaysMatch vellum.AlwaysMatch

// termValue is the facet value an indexed term stands for: the term itself
// for keywords; for numbers, the full-precision terms only (shift 0), as the
// bucket of the field's scale or the number; true or false for booleans.
func termValue(spec facetSpec, term string) (string, bool) {
	switch spec.kind {
	case kindNumber:
		pc := numeric.PrefixCoded(term)
		if shift, err := pc.Shift(); err != nil || shift != 0 {
			return "", false
		}
		i, err := pc.Int64()
		if err != nil {
			return "", false
		}
		x := numeric.Int64ToFloat64(i)
		if scale, ok := numericScales[spec.field]; ok {
			for _, b := range scale {
				if x >= b.min && x < b.max {
					return b.name, true
				}
			}
			return "", false
		}
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case kindBoolean:
		switch term {
		case "T":
			return "true", true
		case "F":
			return "false", true
		}
		return "", false
	}
	return term, true
}

// facetOf orders counted values: numeric buckets in scale order, other
// values by count then value; the first spec.size are kept, the rest counted
// as Other.
func facetOf(spec facetSpec, counts map[string]int, missing int) Facet {
	f := Facet{Field: spec.field, Missing: missing, Values: []FacetTerm{}}
	for v, n := range counts {
		f.Values = append(f.Values, FacetTerm{v, n})
		f.Total += n
	}
	if scale, ok := numericScales[spec.field]; ok && spec.kind == kindNumber {
		rank := func(v string) int {
			return slices.IndexFunc(scale, func(b numericBucket) bool { return b.name == v })
		}
		slices.SortFunc(f.Values, func(a, b FacetTerm) int { return cmp.Compare(rank(a.Value), rank(b.Value)) })
	} else {
		slices.SortFunc(f.Values, func(a, b FacetTerm) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
		})
	}
	if len(f.Values) > spec.size {
		for _, v := range f.Values[spec.size:] {
			f.Other += v.Count
		}
		f.Values = f.Values[:spec.size]
	}
	return f
}

// recordingQuery wraps the query of a search: its searcher records every
// match, and counts the facets when bleve closes it, while the snapshot it
// searched is still open.
type recordingQuery struct {
	query.Query
	specs  []facetSpec
	facets []Facet
	err    error
}

func (q *recordingQuery) Searcher(ctx context.Context, r bindex.IndexReader, m mapping.IndexMapping,
	opts search.SearcherOptions) (search.Searcher, error) {
	matches, err := newMatchSet(r)
	if err != nil {
		return nil, err
	}
	s, err := q.Query.Searcher(ctx, r, m, opts)
	if err != nil {
		return nil, err
	}
	return &recordingSearcher{Searcher: s, q: q, matches: matches}, nil
}

type recordingSearcher struct {
	search.Searcher
	q       *recordingQuery
	matches *matchSet
}

func (s *recordingSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	d, err := s.Searcher.Next(ctx)
	if d != nil {
		s.matches.add(d.IndexInternalID.Value())
	}
	return d, err
}

func (s *recordingSearcher) Advance(ctx *search.SearchContext, id bindex.IndexInternalID) (*search.DocumentMatch, error) {
	d, err := s.Searcher.Advance(ctx, id)
	if d != nil {
		s.matches.add(d.IndexInternalID.Value())
	}
	return d, err
}

func (s *recordingSearcher) Close() error {
	s.q.facets, s.q.err = s.matches.count(s.q.specs)
	return s.Searcher.Close()
}
