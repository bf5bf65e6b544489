package segment_test

import (
	"testing"

	"github.com/go-ego/gse"
	"github.com/jdkato/prose/v2"

	"github.com/vocal-dev/vocal/segment"
	"github.com/vocal-dev/vocal/segment/segmenttest"
)

// benchMustSegmenter is the default segmenter shared by the test binary.
func benchMustSegmenter(tb testing.TB) *segment.Segmenter {
	seg, _ := segmenttest.Default(tb)
	return seg
}

// benchLines reads one of the team's benchmark corpora.
func benchLines(tb testing.TB, name string) ([]string, int64) { return segmenttest.Corpus(tb, name) }

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

// BenchmarkBaseline measures the libraries alone on the same lines, so the
// cost of the whole path reads as a ratio in one run: gse's Cut (no HMM, its
// embedded dictionary) on zh, prose's tokenizer (no tagging, segmentation or
// NER) on en.
func BenchmarkBaseline(b *testing.B) {
	g := new(gse.Segmenter)
	g.SkipLog = true
	if err := g.LoadDictEmbed("zh_s"); err != nil {
		b.Fatal(err)
	}
	cut := func(l string) { g.Cut(l, false) }
	tokenize := func(l string) {
		if _, err := prose.NewDocument(l, prose.WithTagging(false), prose.WithSegmentation(false), prose.WithExtraction(false)); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name, lang string
		run        func(string)
	}{{"gse/zh", "zh", cut}, {"prose/en", "en", tokenize}} {
		b.Run(c.name, func(b *testing.B) {
			lines, size := benchLines(b, c.lang)
			b.ReportAllocs()
			b.SetBytes(size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, l := range lines {
					c.run(l)
				}
			}
		})
	}
}
