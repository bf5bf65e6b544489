package pipeline

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// TestGoldenSample tags the bundled sample and compares every output record
// (labels, scores, evidence spans, topics, risk hits) with the golden file.
// After an intended change of lexicons or rules, run
// `go test ./pipeline -run TestGoldenSample -update` and review the diff.
func TestGoldenSample(t *testing.T) {
	an := realAnalyzer(t)
	src, err := OpenInputs([]string{filepath.Join("..", "testdata", "sample", "feedback.jsonl")}, DefaultInputConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out, rejects bytes.Buffer
	sink := NewJSONLSink(&out, &rejects)
	counts, err := Run(context.Background(), src, an, sink, RunOptions{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if counts.Read != 200 || counts.Written != 200 || counts.Rejected != 0 || rejects.Len() != 0 {
		t.Fatalf("counts %+v, rejects %q", counts, rejects.String())
	}
	golden := filepath.Join("..", "testdata", "golden", "sample_tagged.jsonl")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	got := bytes.Split(out.Bytes(), []byte("\n"))
	exp := bytes.Split(want, []byte("\n"))
	if len(got) != len(exp) {
		t.Fatalf("got %d lines, golden has %d", len(got), len(exp))
	}
	for i := range got {
		if !bytes.Equal(got[i], exp[i]) {
			t.Errorf("line %d differs\n got: %s\nwant: %s", i+1, got[i], exp[i])
		}
	}
}
