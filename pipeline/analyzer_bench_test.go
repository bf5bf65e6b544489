package pipeline_test

import (
	"sync/atomic"
	"testing"
)

// BenchmarkAnalyze runs the full tag path (segment, sentiment, topics, risk)
// over a whole corpus per op; MB/s counts UTF-8 bytes of text, ns/line is the
// mean cost of one review on one core.
func BenchmarkAnalyze(b *testing.B) {
	an := benchMustAnalyzer(b)
	for _, lang := range []string{"zh", "en"} {
		b.Run(lang, func(b *testing.B) {
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
