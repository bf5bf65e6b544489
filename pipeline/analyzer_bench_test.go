package pipeline_test

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vocal-dev/vocal/pipeline"
)

// BenchmarkAnalyze runs the full tag path (segment, sentiment, topics, risk)
// over a whole corpus per op, with the embedded models and with lexicons
// only; MB/s counts UTF-8 bytes of text, ns/line is the mean cost of one
// review on one core.
func BenchmarkAnalyze(b *testing.B) {
	analyzers := map[string]*pipeline.Analyzer{"model": benchMustAnalyzer(b), "lexicon": pipeline.LexiconAnalyzer(b)}
	for _, name := range []string{"zh/lexicon", "zh/model", "en/lexicon", "en/model"} {
		lang, kind, _ := strings.Cut(name, "/")
		an := analyzers[kind]
		b.Run(name, func(b *testing.B) {
			lines, size := benchLines(b, lang)
			b.ReportAllocs()
			b.SetBytes(size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, l := range lines {
					_ = an.Analyze(l)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/line")
		})
	}
}

// BenchmarkAnalyzeParallel is BenchmarkAnalyze with one review per op on all
// cores, the way the runner's workers share one Analyzer.
func BenchmarkAnalyzeParallel(b *testing.B) {
	an := benchMustAnalyzer(b)
	for _, lang := range []string{"zh", "en"} {
		b.Run(lang, func(b *testing.B) {
			lines, size := benchLines(b, lang)
			b.ReportAllocs()
			b.SetBytes(size / int64(len(lines)))
			var next atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_ = an.Analyze(lines[next.Add(1)%int64(len(lines))])
				}
			})
		})
	}
}
