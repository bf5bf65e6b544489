package index

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// TestPointRanges checks that ranges over points find what bleve's own range
// queries find over its 16-term numeric fields, and that ranges over an index
// written by bleve's fields give the same answers.
func TestPointRanges(t *testing.T) {
	base := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	docs := map[string]map[string]any{}
	for i, x := range []float64{-1e9, -3, -0.5, 0, 0.25, 1, 2, 2, 3.5, 4, 5, 10, 1e12} {
		docs[fmt.Sprintf("d%02d", i)] = map[string]any{
			"csat":       x,
			"created_at": base.Add(time.Duration(i*7) * time.Hour),
		}
	}
	for i, days := range []int{-3650, -400, -61, -30, -9, 45, 90, 200, 1000} {
		docs[fmt.Sprintf("far%d", i)] = map[string]any{"created_at": base.AddDate(0, 0, days).Add(time.Duration(i) * time.Hour)}
	}
	points, _ := Open(t.TempDir())
	native, _ := Open(t.TempDir())
	for _, idx := range []bleve.Index{points, native} {
		if idx == nil {
			t.Fatal("open failed")
		}
		defer idx.Close()
	}
	pb, nb := points.NewBatch(), native.NewBatch()
	for id, d := range docs {
		if err := batchIndex(pb, points.Mapping(), id, d); err != nil {
			t.Fatal(err)
		}
		if err := nb.Index(id, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := points.Batch(pb); err != nil {
		t.Fatal(err)
	}
	if err := native.Batch(nb); err != nil {
		t.Fatal(err)
	}

	f := func(x float64) *float64 { return &x }
	b := func(x bool) *bool { return &x }
	num := func(lo, hi *float64, incLo, incHi *bool) query.FieldableQuery {
		q := bleve.NewNumericRangeInclusiveQuery(lo, hi, incLo, incHi)
		q.SetField("csat")
		return q
	}
	date := func(lo, hi time.Time, incLo, incHi *bool) query.FieldableQuery {
		q := bleve.NewDateRangeInclusiveQuery(lo, hi, incLo, incHi)
		q.SetField("created_at")
		return q
	}
	dateString := func(lo, hi string) query.FieldableQuery {
		q := bleve.NewDateRangeStringQuery(lo, hi)
		q.SetField("created_at")
		return q
	}
	ranges := []query.FieldableQuery{
		num(f(0), f(3.5), nil, nil),
		num(f(0), f(3.5), b(false), b(true)),
		num(f(2), f(2), b(true), b(true)),
		num(f(2), f(2), b(false), b(true)),
		num(nil, f(0), nil, b(true)),
		num(f(1), nil, b(false), nil),
		num(f(-5), f(1e13), nil, nil),
		num(f(7), f(8), nil, nil),
		date(base, base.Add(24*time.Hour), nil, nil),
		date(base.Add(7*time.Hour), base.Add(28*time.Hour), b(false), b(true)),
		date(time.Time{}, base.Add(14*time.Hour), nil, nil),
		date(base.Add(-time.Hour), time.Time{}, nil, nil),
		dateString("2026-02-01", "2026-02-02"),
		dateString("2025-12-01", "2026-05-01"),
		dateString("2016-01-01", "2030-01-01"),
		dateString("2025-01-01T05:00:00Z", "2026-01-31T21:00:00Z"),
		date(base.AddDate(0, -1, 0), base.AddDate(0, 1, 0), b(true), b(true)),
		date(base.AddDate(-20, 0, 0), base.AddDate(-1, 0, 0), nil, nil),
		dateString("", "2026-02-01T04:00:00Z"),
	}
	for _, r := range ranges {
		want := ids(t, native, r)
		for name, idx := range map[string]bleve.Index{"points": points, "native": native} {
			if got := ids(t, idx, pointRange{r}); !slices.Equal(got, want) {
				t.Errorf("%s %#v: %v, want %v", name, r, got, want)
			}
		}
	}
}

func ids(t *testing.T, idx bleve.Index, q query.Query) []string {
	t.Helper()
	res, err := idx.Search(bleve.NewSearchRequestOptions(q, 100, 0, false))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	slices.Sort(out)
	return out
}
