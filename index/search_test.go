package index_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"

	"github.com/vocal-dev/vocal/index"
)

// queryCase is one entry of testdata/index/<case>/queries.json: a query and
// what it must return. IDs are compared as a set unless Ordered; Total,
// Facets and Fragments only when given.
type queryCase struct {
	Name      string                    `json:"name"`
	Query     index.Query               `json:"query"`
	IDs       []string                  `json:"ids"`
	Ordered   bool                      `json:"ordered"`
	Total     *uint64                   `json:"total"`
	Facets    map[string]map[string]int `json:"facets"`
	Fragments map[string][]string       `json:"fragments"`
}

// TestQueryCases runs the data-driven cases of testdata/index: each case
// directory holds docs.jsonl (output records, as vocal tag writes them) and
// queries.json, indexed into a fresh on-disk index.
func TestQueryCases(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "index", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases under testdata/index (%v)", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			recs := readOutput(t, filepath.Join(dir, "docs.jsonl"))
			raw, err := os.ReadFile(filepath.Join(dir, "queries.json"))
			if err != nil {
				t.Fatal(err)
			}
			var cases []queryCase
			if err := json.Unmarshal(raw, &cases); err != nil {
				t.Fatalf("queries.json: %v", err)
			}
			// Searched twice: through the writer, with the batches of 3 as
			// segments and upserts deleting across them, then after Close
			// has merged them into one.
			idxDir := t.TempDir()
			idx, err := index.Open(idxDir)
			if err != nil {
				t.Fatal(err)
			}
			sink := newSink(t, idx, 3)
			for _, r := range recs {
				if err := sink.Write(context.Background(), r); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := sink.Commit(context.Background(), true); err != nil {
				t.Fatal(err)
			}
			t.Run("segments", func(t *testing.T) { runQueryCases(t, idx, cases) })
			if err := sink.Close(); err != nil {
				t.Fatal(err)
			}
			t.Run("merged", func(t *testing.T) { runQueryCases(t, openReader(t, idxDir), cases) })
		})
	}
}

func runQueryCases(t *testing.T, idx bleve.Index, cases []queryCase) {
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if c.Query.Size == 0 {
				c.Query.Size = 100
			}
			res, err := index.Search(context.Background(), idx, c.Query)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]string, 0, len(res.Hits))
			for _, h := range res.Hits {
				got = append(got, h.ID)
			}
			want := slices.Clone(c.IDs)
			if want == nil {
				want = []string{}
			}
			if !c.Ordered {
				slices.Sort(got)
				slices.Sort(want)
			}
			if !slices.Equal(got, want) {
				t.Errorf("ids %v, want %v", got, want)
			}
			if c.Total != nil && res.Total != *c.Total {
				t.Errorf("total %d, want %d", res.Total, *c.Total)
			}
			for field, wantCounts := range c.Facets {
				gotCounts := map[string]int{}
				for _, f := range res.Facets {
					if f.Field == field {
						for _, v := range f.Values {
							gotCounts[v.Value] = v.Count
						}
					}
				}
				if !mapsEqual(gotCounts, wantCounts) {
					t.Errorf("facet %s: %v, want %v", field, gotCounts, wantCounts)
				}
			}
			for id, wantFrags := range c.Fragments {
				for _, h := range res.Hits {
					if h.ID == id && !slices.Equal(h.Fragments, wantFrags) {
						t.Errorf("fragments of %s: %q, want %q", id, h.Fragments, wantFrags)
					}
				}
			}
			if t.Failed() {
				js, _ := json.Marshal(res)
				t.Logf("result: %s", js)
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestFacetKinds: facets read each field as its kind, kept by the sink for
// passthrough fields: numbers without a scale by value, booleans as true and
// false, keywords as they are, with matches lacking the field as Missing and
// values beyond the facet size as Other; datetime and text fields are
// refused.
func TestFacetKinds(t *testing.T) {
	lines := []string{
		`{"id":"k1","text":"物流很快","lang":"zh","sentiment":{"label":"positive","score":0.6},"topics":[],"risk":{"level":"none","hits":[]},"amount":12.5,"vip":true,"visited_at":"2026-03-01T10:00:00Z","region":"east"}`,
		`{"id":"k2","text":"物流太慢","lang":"zh","sentiment":{"label":"negative","score":-0.6},"topics":[],"risk":{"level":"none","hits":[]},"amount":12.5,"vip":false,"region":"east"}`,
		`{"id":"k3","text":"price is fine","lang":"en","sentiment":{"label":"neutral","score":0},"topics":[],"risk":{"level":"none","hits":[]},"amount":3,"region":"west"}`,
		`{"id":"k4","text":"物流还行","lang":"zh","sentiment":{"label":"neutral","score":0},"topics":[],"risk":{"level":"none","hits":[]},"region":"north"}`,
	}
	path := filepath.Join(t.TempDir(), "docs.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	buildIndex(t, dir, readOutput(t, path), 2)
	idx := openReader(t, dir)

	res, err := index.Search(context.Background(), idx, index.Query{Text: "物流", Facets: []string{"amount", "vip", "region"}, FacetSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]index.Facet{}
	for _, f := range res.Facets {
		got[f.Field] = f
	}
	for _, c := range []struct {
		field                 string
		values                []index.FacetTerm
		total, missing, other int
	}{
		{"amount", []index.FacetTerm{{Value: "12.5", Count: 2}}, 2, 1, 0},
		{"vip", []index.FacetTerm{{Value: "false", Count: 1}}, 2, 1, 1},
		{"region", []index.FacetTerm{{Value: "east", Count: 2}}, 3, 0, 1},
		{"sentiment", []index.FacetTerm{{Value: "negative", Count: 1}}, 3, 0, 2},
	} {
		f := got[c.field]
		if !slices.Equal(f.Values, c.values) || f.Total != c.total || f.Missing != c.missing || f.Other != c.other {
			t.Errorf("facet %s: %+v, want values %v total %d missing %d other %d", c.field, f, c.values, c.total, c.missing, c.other)
		}
	}
	for _, field := range []string{"visited_at", "created_at", "text"} {
		if _, err := index.Search(context.Background(), idx, index.Query{Facets: []string{field}}); err == nil {
			t.Errorf("facet on %s: no error", field)
		}
	}
}
