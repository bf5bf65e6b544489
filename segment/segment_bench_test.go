package segment_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/segment"
)

// benchSegmenter builds one Segmenter per test binary: loading the gse
// dictionary takes 1-2 s, so benchmarks and fuzz targets share it.
var benchSegmenter = sync.OnceValues(func() (*segment.Segmenter, error) {
	set, err := lexicons.Default()
	if err != nil {
		return nil, err
	}
	// The same split as pipeline.NewAnalyzer: contrast and concession
	// connectives, some of them recognised only at the start of a clause.
	leadOnly := map[string]bool{"就是": true, "只是": true, "结果": true, "却": true, "而": true,
		"yet": true, "though": true, "except": true, "still": true, "其实": true}
	var cfg segment.Config
	cfg.UserDict = set.UserDict
	for _, m := range set.Modifiers {
		if m.Kind != lexicons.Contrast && m.Kind != lexicons.Concession {
			continue
		}
		if leadOnly[m.Term] {
			cfg.LeadOnly = append(cfg.LeadOnly, m.Term)
		} else {
			cfg.Connectives = append(cfg.Connectives, m.Term)
		}
	}
	return segment.New(cfg)
})

func benchMustSegmenter(tb testing.TB) *segment.Segmenter {
	tb.Helper()
	s, err := benchSegmenter()
	if err != nil {
		tb.Fatalf("segment.New: %v", err)
	}
	return s
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

// BenchmarkSegment segments a whole corpus per op; MB/s counts UTF-8 bytes
// of text, ns/line is the mean cost of one review.
func BenchmarkSegment(b *testing.B) {
	seg := benchMustSegmenter(b)
	for _, lang := range []string{"zh", "en"} {
		b.Run(lang, func(b *testing.B) {
			lines, size := benchLines(b, lang)
			b.ReportAllocs()
			b.SetBytes(size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, l := range lines {
					_ = seg.Segment(l)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/line")
		})
	}
}
