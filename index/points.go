package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/numeric"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	bindex "github.com/blevesearch/bleve_index_api"
)

// Numbers and datetimes are indexed with fewer prefix terms than bleve's.
//
// bleve indexes a number or a datetime as 16 prefix-coded terms (precision
// step 4: the value with its low 0, 4, 8, ... 60 bits dropped), so that a
// range over a wide domain reads few terms; building those terms took a
// third of the indexing CPU. vocal's numbers (scores rounded to 0.01, CSAT,
// NPS, CES) have few distinct values, so they are indexed as their exact
// (shift 0) term only and a range reads the values present from the term
// dictionary. Datetimes, truncated to TimePrecision, have many more (a month
// holds 720 hours), so they keep the shifts in dateShifts: a month then reads
// about 40 terms instead of 720. The exact term is the one bleve's sorting
// and our facets read, and pointRange asks only for shifts bleve indexes
// too, so indexes written by bleve's own fields are searched correctly.

// dateShifts are the prefix shifts indexed for a datetime (Unix nanoseconds):
// exact, then about 4.9 hours, 3.3 days and 52 days.
var dateShifts = []uint{0, 44, 48, 52}

// numberShifts are those of a number: the exact value only.
var numberShifts = []uint{0}

// dateTimeLayoutMark separates a datetime field's prefix-coded value from the
// layout bleve appends to it.
var dateTimeLayoutMark = []byte{0xff}

// pointField is a numeric or datetime field analysed into the prefix terms
// of its shifts.
type pointField struct {
	document.Field
	shifts []uint
	freqs  bindex.TokenFrequencies
}

// Analyze makes the exact term (shift 0, the field's value) and, for shifts
// after the first, the coarser terms.
func (f *pointField) Analyze() {
	exact, _, _ := bytes.Cut(f.Value(), dateTimeLayoutMark)
	terms := [][]byte{exact}
	if v, err := numeric.PrefixCoded(exact).Int64(); err == nil {
		for _, shift := range f.shifts[1:] {
			terms = append(terms, numeric.MustNewPrefixCodedInt64(v, shift))
		}
	}
	tokens := make(analysis.TokenStream, len(terms))
	for i, term := range terms {
		tokens[i] = &analysis.Token{Term: term, End: len(term), Position: 1, Type: analysis.Numeric}
	}
	f.freqs = analysis.TokenFrequency(tokens, f.ArrayPositions(), f.Options())
}

func (f *pointField) AnalyzedLength() int { return len(f.freqs) }

func (f *pointField) AnalyzedTokenFrequencies() bindex.TokenFrequencies { return f.freqs }

// pointRange is a numeric or datetime range query (*query.NumericRangeQuery,
// *query.DateRangeQuery or *query.DateRangeStringQuery) answered from the
// terms of pointField.
type pointRange struct {
	query.FieldableQuery
}

// Searcher returns a searcher over the terms present that cover the range:
// exact terms at its edges and coarser ones inside.
func (r pointRange) Searcher(ctx context.Context, i bindex.IndexReader, m mapping.IndexMapping, options search.SearcherOptions) (search.Searcher, error) {
	lo, hi, boost, err := r.bounds(m)
	if err != nil {
		return nil, err
	}
	if lo > hi {
		return searcher.NewMatchNoneSearcher(i)
	}
	field := r.Field()
	if field == "" {
		field = m.DefaultSearchField()
	}
	shifts := dateShifts
	if _, ok := r.FieldableQuery.(*query.NumericRangeQuery); ok {
		shifts = numberShifts
	}
	var terms []string
	err = splitRange(sortable(lo), sortable(hi), shifts, func(a, b uint64, shift uint) error {
		dict, err := i.FieldDictRange(field, prefixCoded(a, shift), append(prefixCoded(b, shift), 0)) // end exclusive
		if err != nil {
			return err
		}
		defer dict.Close()
		for t, err := dict.Next(); t != nil || err != nil; t, err = dict.Next() {
			if err != nil {
				return err
			}
			terms = append(terms, t.Term)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(terms) == 0 {
		return searcher.NewMatchNoneSearcher(i)
	}
	return searcher.NewMultiTermSearcher(ctx, i, terms, field, boost, options, true)
}

// sortable maps an int64 to the unsigned order prefix codes sort by.
func sortable(v int64) uint64 { return uint64(v) ^ 1<<63 }

// prefixCoded is the term of sortable value u at shift.
func prefixCoded(u uint64, shift uint) []byte {
	return numeric.MustNewPrefixCodedInt64(int64(u^1<<63), shift)
}

// splitRange covers the sortable values [a, b] with ranges of terms, as
// bleve's range searcher does with every shift: at each shift, the parts of
// [a, b] outside the blocks of the next shift are emitted, and the blocks
// inside go on to that shift; the last shift takes what is left.
func splitRange(a, b uint64, shifts []uint, emit func(a, b uint64, shift uint) error) error {
	for k, shift := range shifts {
		if k+1 == len(shifts) {
			return emit(a, b, shift)
		}
		mask := uint64(1)<<shifts[k+1] - 1
		up := -a & mask        // from a to the next block start
		down := (b + 1) & mask // from the last block end to b
		if up > math.MaxUint64-a || down > b || a+up > b-down {
			return emit(a, b, shift) // no whole block inside
		}
		if up > 0 {
			if err := emit(a, a+up-1, shift); err != nil {
				return err
			}
		}
		if down > 0 {
			if err := emit(b-down+1, b, shift); err != nil {
				return err
			}
		}
		a, b = a+up, b-down
	}
	return nil
}

// bounds returns the inclusive int64 bounds of the range, in the encoding of
// bleve's fields (sortable float bits, Unix nanoseconds), and its boost. As in
// bleve, the lower bound is inclusive and the upper one exclusive unless set.
func (r pointRange) bounds(m mapping.IndexMapping) (lo, hi int64, boost float64, err error) {
	lo, hi = math.MinInt64, math.MaxInt64
	var incLo, incHi *bool
	switch q := r.FieldableQuery.(type) {
	case *query.NumericRangeQuery:
		if q.Min != nil {
			lo = numeric.Float64ToInt64(*q.Min)
		}
		if q.Max != nil {
			hi = numeric.Float64ToInt64(*q.Max)
		}
		incLo, incHi, boost = q.InclusiveMin, q.InclusiveMax, q.BoostVal.Value()
	case *query.DateRangeQuery:
		lo, hi = nanos(q.Start.Time, lo), nanos(q.End.Time, hi)
		incLo, incHi, boost = q.InclusiveStart, q.InclusiveEnd, q.BoostVal.Value()
	case *query.DateRangeStringQuery:
		name := q.DateTimeParser
		if name == "" {
			name = TimeParserName
		}
		parser := m.DateTimeParserNamed(name)
		if parser == nil {
			return 0, 0, 0, fmt.Errorf("no date time parser named %s", name)
		}
		parse := func(s string, v *int64) error {
			if s == "" {
				return nil
			}
			t, _, err := parser.ParseDateTime(s)
			if err != nil {
				return fmt.Errorf("date %q: %w", s, err)
			}
			*v = t.UnixNano()
			return nil
		}
		if err := errors.Join(parse(q.Start, &lo), parse(q.End, &hi)); err != nil {
			return 0, 0, 0, err
		}
		incLo, incHi, boost = q.InclusiveStart, q.InclusiveEnd, q.BoostVal.Value()
	default:
		return 0, 0, 0, fmt.Errorf("not a range query: %T", q)
	}
	if incLo != nil && !*incLo && lo != math.MaxInt64 {
		lo++
	}
	if (incHi == nil || !*incHi) && hi != math.MinInt64 {
		hi--
	}
	return lo, hi, boost, nil
}

// nanos returns t in Unix nanoseconds, or unset for the zero time.
func nanos(t time.Time, unset int64) int64 {
	if t.IsZero() {
		return unset
	}
	return t.UnixNano()
}

// batchIndex adds data under id to b as bleve's Batch.Index does, with its
// numbers and datetimes indexed as points.
func batchIndex(b *bleve.Batch, m mapping.IndexMapping, id string, data any) error {
	doc := document.NewDocument(id)
	if err := m.MapDocument(doc, data); err != nil {
		return err
	}
	for i, f := range doc.Fields {
		switch f.(type) {
		case *document.NumericField:
			doc.Fields[i] = &pointField{Field: f, shifts: numberShifts}
		case *document.DateTimeField:
			doc.Fields[i] = &pointField{Field: f, shifts: dateShifts}
		}
	}
	return b.IndexAdvanced(doc)
}
