// Package segmenttest gives tests and benchmarks the team's benchmark corpora
// (testdata/bench/<name>.txt at the module root: realistic reviews written for
// vocal, one a line) and one shared default segmenter.
package segmenttest

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/segment"
)

// Corpus returns the non-empty lines of testdata/bench/<name>.txt and their
// total size in bytes; it fails tb when the file is missing or empty.
func Corpus(tb testing.TB, name string) ([]string, int64) {
	tb.Helper()
	_, here, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(here), "..", "..", "testdata", "bench", name+".txt")
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var lines []string
	var n int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
			n += int64(len(l))
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(lines) == 0 {
		tb.Fatalf("%s is empty", path)
	}
	return lines, n
}

// defaultSegmenter is built once per test binary: loading the gse
// dictionary takes 1-2 s and ~150 MB.
var defaultSegmenter = sync.OnceValues(func() (*segment.Segmenter, error) {
	set, err := lexicons.Default()
	if err != nil {
		return nil, err
	}
	return segment.New(segment.ConfigFor(set))
})

// Default returns the segmenter of the embedded lexicons and those lexicons,
// shared by every test of the binary (a Segmenter is safe for concurrent use).
func Default(tb testing.TB) (*segment.Segmenter, *lexicons.Set) {
	tb.Helper()
	set, err := lexicons.Default()
	if err != nil {
		tb.Fatalf("lexicons: %v", err)
	}
	seg, err := defaultSegmenter()
	if err != nil {
		tb.Fatalf("segment.New: %v", err)
	}
	return seg, set
}
