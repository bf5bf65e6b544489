package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/topics"
)

// benchAnalysis is a typical tagged record: two aspects, no risk.
var benchAnalysis = pipeline.Analysis{
	Lang: "zh",
	Sentiment: pipeline.SentimentOut{Label: "negative", Score: -0.412, Evidence: []pipeline.Evidence{
		{Text: "很快", Term: "快", Value: 1.3, Start: 2, End: 4},
		{Text: "太差了", Term: "差", Value: -2.6, Start: 11, End: 14},
	}},
	Topics: []topics.Mention{
		{Topic: "delivery", Sentiment: "positive", Score: 0.318, Evidence: "物流很快", Start: 0, End: 4, Cue: "物流"},
		{Topic: "customer_service", Sentiment: "negative", Score: -0.557, Evidence: "但是客服态度太差了", Start: 5, End: 14, Cue: "客服"},
	},
	Risk: topics.Risk{Level: "none", Hits: []topics.RiskHit{}},
}

// benchRecords builds n tagged records over the zh and en corpora, spread
// over 7 days (7 partitions) with the passthrough fields of a support export.
func benchRecords(tb testing.TB, n int) ([]*pipeline.Record, int64) {
	tb.Helper()
	zh, _ := benchLines(tb, "zh")
	en, _ := benchLines(tb, "en")
	texts := append(zh, en...)
	channels := []string{"app_review", "support_ticket", "survey", "email"}
	base := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	recs := make([]*pipeline.Record, n)
	var size int64
	for i := range recs {
		text := texts[i%len(texts)]
		size += int64(len(text))
		at := base.Add(time.Duration(i%7)*24*time.Hour + time.Duration(i)*time.Second)
		raw := func(v any) json.RawMessage {
			b, err := json.Marshal(v)
			if err != nil {
				tb.Fatal(err)
			}
			return b
		}
		recs[i] = &pipeline.Record{
			Seq: int64(i), Source: "bench.jsonl", Line: i + 1, ID: fmt.Sprintf("fb-%07d", i), Text: text,
			Fields: []pipeline.Field{
				{Name: "created_at", Value: raw(at.Format(time.RFC3339))},
				{Name: "channel", Value: raw(channels[i%len(channels)])},
				{Name: "csat", Value: raw(1 + i%5)},
				{Name: "nps", Value: raw(i % 11)},
			},
			Out: &benchAnalysis,
		}
	}
	return recs, size
}

// BenchmarkDatasetSink writes n records per op to a fresh dataset (Arrow IPC
// and Parquet, 7 partitions) and commits it; MB/s counts bytes of text.
func BenchmarkDatasetSink(b *testing.B) {
	for _, n := range []int{1000, 20000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			recs, size := benchRecords(b, n)
			root := b.TempDir()
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				dir, err := os.MkdirTemp(root, "ds")
				if err != nil {
					b.Fatal(err)
				}
				sink, err := pipeline.NewDatasetSink(pipeline.DatasetConfig{Dir: dir, RunID: "bench", RunTime: time.Unix(0, 0)})
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range recs {
					if err := sink.Write(ctx, r); err != nil {
						b.Fatal(err)
					}
				}
				if err := sink.Close(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if got := len(sink.Files()); got != 14 {
					b.Fatalf("%d files committed, want 14 (7 days x .arrow and .parquet)", got)
				}
				if err := os.RemoveAll(dir); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
