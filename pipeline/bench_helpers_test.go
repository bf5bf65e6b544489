package pipeline_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/pipeline"
)

// benchAnalyzer builds one Analyzer per test binary from the embedded
// lexicons: loading the gse dictionary takes 1-2 s, so benchmarks and fuzz
// targets share it (it is safe for concurrent use).
var benchAnalyzer = sync.OnceValues(func() (*pipeline.Analyzer, error) {
	set, err := lexicons.Default()
	if err != nil {
		return nil, err
	}
	return pipeline.NewAnalyzer(set)
})

func benchMustAnalyzer(tb testing.TB) *pipeline.Analyzer {
	tb.Helper()
	a, err := benchAnalyzer()
	if err != nil {
		tb.Fatalf("NewAnalyzer: %v", err)
	}
	return a
}

// benchLines reads one of the benchmark corpora (testdata/bench/<name>.txt at
// the module root), one text a line, and returns the lines and their bytes.
func benchLines(tb testing.TB, name string) ([]string, int64) {
	tb.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "bench", name+".txt"))
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
		tb.Fatalf("testdata/bench/%s.txt is empty", name)
	}
	return lines, n
}
