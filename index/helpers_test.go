package index_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/blevesearch/bleve/v2"

	"github.com/vocal-dev/vocal/index"
	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/pipeline"
)

// testAnalyzer is the tag stage shared by every test of the binary (loading
// the gse dictionary takes 1-2 s).
var testAnalyzer = sync.OnceValues(func() (*pipeline.Analyzer, error) {
	set, err := lexicons.Default()
	if err != nil {
		return nil, err
	}
	return pipeline.NewAnalyzer(set)
})

func mustAnalyzer(tb testing.TB) *pipeline.Analyzer {
	tb.Helper()
	an, err := testAnalyzer()
	if err != nil {
		tb.Fatal(err)
	}
	return an
}

// readTagged reads an input file with the default input settings and tags
// every record.
func readTagged(tb testing.TB, path string) []*pipeline.Record {
	tb.Helper()
	recs := readRaw(tb, path)
	tagAll(tb, recs)
	return recs
}

// tagAll tags records in place on all cores.
func tagAll(tb testing.TB, recs []*pipeline.Record) {
	an := mustAnalyzer(tb)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(recs); i += workers {
				an.Process(recs[i])
			}
		}()
	}
	wg.Wait()
}

// dirSize sums the sizes of the files under dir.
func dirSize(tb testing.TB, dir string) int64 {
	tb.Helper()
	var n int64
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// generate writes about mb MiB of synthetic feedback with cmd/vocal-gen and
// returns the file.
func generate(tb testing.TB, mb int) string {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "gen.jsonl")
	cmd := exec.Command("go", "run", "github.com/vocal-dev/vocal/cmd/vocal-gen", "-mb", itoa(mb), "-seed", "1", "-o", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("vocal-gen: %v\n%s", err, b)
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

// readRaw reads an input file with the default input settings, untagged.
func readRaw(tb testing.TB, path string) []*pipeline.Record {
	tb.Helper()
	src, err := pipeline.OpenInputs([]string{path}, pipeline.DefaultInputConfig())
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	var recs []*pipeline.Record
	for {
		r, err := src.Next(context.Background())
		if err == io.EOF {
			return recs
		}
		if err != nil {
			tb.Fatal(err)
		}
		recs = append(recs, r)
	}
}

// readOutput reads output records (the JSONL of vocal tag) back into
// records: id, text, the analysis, and the other keys as passthrough fields
// in their order.
func readOutput(tb testing.TB, path string) []*pipeline.Record {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var recs []*pipeline.Record
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		r, err := parseOutput(sc.Bytes())
		if err != nil {
			tb.Fatalf("%s:%d: %v", path, line, err)
		}
		r.Source, r.Line = path, line
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return recs
}

func parseOutput(line []byte) (*pipeline.Record, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	r := &pipeline.Record{Out: &pipeline.Analysis{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("field %q: %w", key, err)
		}
		var dst any
		switch key {
		case "id":
			dst = &r.ID
		case "text":
			dst = &r.Text
		case "lang":
			dst = &r.Out.Lang
		case "sentiment":
			dst = &r.Out.Sentiment
		case "topics":
			dst = &r.Out.Topics
		case "risk":
			dst = &r.Out.Risk
		default:
			r.Fields = append(r.Fields, pipeline.Field{Name: key, Value: v})
			continue
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return nil, fmt.Errorf("field %q: %w", key, err)
		}
	}
	return r, nil
}

// buildIndex writes recs through a Sink into a new index in dir.
func buildIndex(tb testing.TB, dir string, recs []*pipeline.Record, batch int) {
	tb.Helper()
	idx, err := index.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	sink := newSink(tb, idx, batch)
	for _, r := range recs {
		if err := sink.Write(context.Background(), r); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sink.Close(); err != nil {
		tb.Fatal(err)
	}
}

// newSink returns a sink writing to idx.
func newSink(tb testing.TB, idx bleve.Index, batch int, opts ...index.SinkOption) *index.Sink {
	tb.Helper()
	sink, err := index.NewSink(idx, batch, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return sink
}

// openReader opens dir read-only and closes it at the end of the test.
func openReader(tb testing.TB, dir string) bleve.Index {
	tb.Helper()
	idx, err := index.OpenReadOnly(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { idx.Close() })
	return idx
}
