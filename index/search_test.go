package index_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

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
			idxDir := t.TempDir()
			buildIndex(t, idxDir, recs, 3) // small batches: several segments, upserts across them
			idx := openReader(t, idxDir)
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
