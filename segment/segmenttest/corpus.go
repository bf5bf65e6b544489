// Package segmenttest gives tests and benchmarks the team's benchmark corpora
// (testdata/bench/<name>.txt at the module root: realistic reviews written for
// vocal, one a line).
package segmenttest

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
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
