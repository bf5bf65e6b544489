package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vocal-dev/vocal/index"
	"github.com/vocal-dev/vocal/pipeline"
)

// searchJSON runs vocal search --json and decodes the result.
func searchJSON(t *testing.T, args ...string) index.Result {
	t.Helper()
	r := vocal(t, "", append([]string{"search", "--json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("search %v: exit %d: %s", args, r.code, r.stderr)
	}
	var res index.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("search %v: %v\n%s", args, err, r.stdout)
	}
	return res
}

func hitIDs(res index.Result) []string {
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}

// TestRunIndexSearchRebuild indexes through vocal run --index, searches with
// vocal search, re-runs the same input (upsert: same document count), and
// rebuilds the index from the dataset's Parquet files to the same answers.
func TestRunIndexSearchRebuild(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, idx := filepath.Join(dir, "dataset"), filepath.Join(dir, "idx")
	input := filepath.Join("..", "..", "testdata", "sample", "feedback.jsonl")
	var m pipeline.Manifest
	for i := range 2 {
		if r := vocal(t, "", "run", "--input", input, "--out", out, "--index", idx, "--index-batch", "3", "--full"); r.code != 0 {
			t.Fatalf("run: exit %d: %s", r.code, r.stderr)
		}
		if i == 0 {
			m = readManifest(t, filepath.Join(out, "manifest.json"))
		}
	}
	all := searchJSON(t, "--index", idx)
	if all.Total != uint64(m.Counts.Written) {
		t.Fatalf("%d documents after two runs over the same input, want %d", all.Total, m.Counts.Written)
	}

	queries := [][]string{
		{"--index", idx, "--size", "100", "物流"},
		{"--index", idx, "--size", "100", "--topic", "logistics", "--sentiment", "negative"},
		{"--index", idx, "--size", "100", "--lang", "en", "--facet", "channel"},
		{"--index", idx, "--size", "100", "--risk", "medium", "--sort", "-created_at"},
	}
	before := make([]index.Result, len(queries))
	for i, q := range queries {
		before[i] = searchJSON(t, q...)
		if before[i].Total == 0 {
			t.Errorf("search %v found nothing in the sample", q[3:])
		}
	}
	for _, h := range before[0].Hits {
		if !strings.Contains(strings.Join(h.Fragments, " "), "[物流]") {
			t.Errorf("hit %s: fragments %q do not highlight 物流", h.ID, h.Fragments)
		}
	}

	if r := vocal(t, "", "index", "rebuild", "--run", out, "--index", idx); r.code != 0 {
		t.Fatalf("rebuild: exit %d: %s", r.code, r.stderr)
	}
	for i, q := range queries {
		after := searchJSON(t, q...)
		// Equal scores may come in another order: compare the sets.
		if got, want := hitIDs(after), hitIDs(before[i]); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
			t.Errorf("search %v after rebuild: %v, want %v", q[3:], got, want)
		}
		if js, _ := json.Marshal(after.Facets); string(js) != mustJSON(t, before[i].Facets) {
			t.Errorf("search %v after rebuild: facets %s, want %s", q[3:], js, mustJSON(t, before[i].Facets))
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(js)
}

func TestSearchUsageErrors(t *testing.T) {
	t.Parallel()
	idx := filepath.Join(t.TempDir(), "idx")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"search", "物流"}, 2, "--index"},
		{[]string{"search", "--index", idx, "物流"}, 1, "no index there"},
		{[]string{"search", "--index", idx, "--from", "yesterday"}, 2, "--from"},
		{[]string{"search", "--index", idx, "--field", "region"}, 2, "name=value"},
		{[]string{"index", "rebuild", "--index", idx}, 2, "--run"},
	}
	for _, tt := range tests {
		r := vocal(t, "", tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("vocal %v: exit %d, stderr %q; want exit %d mentioning %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
	}
}
