package rootcause

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/pipeline/rootcause/synth"
	"github.com/vocal-dev/vocal/topics"
)

// testContext is bounded so that no test waits forever.
func testContext(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// fieldsOf turns passthrough values into record fields, in order.
func fieldsOf(t testing.TB, kv ...any) []pipeline.Field {
	t.Helper()
	var out []pipeline.Field
	for i := 0; i < len(kv); i += 2 {
		b, err := json.Marshal(kv[i+1])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pipeline.Field{Name: kv[i].(string), Value: b})
	}
	return out
}

// testRecord is a tagged record as the tag stage would leave it.
type testRecord struct {
	id       string
	label    string
	mentions []synth.Mention
	fields   []pipeline.Field
}

// writeRun writes one run of records into the dataset dir through the real
// dataset sink, skipping the tagger: each record's topics are given.
func writeRun(t testing.TB, dir, runID string, recs []testRecord) {
	t.Helper()
	sink, err := pipeline.NewDatasetSink(pipeline.DatasetConfig{Dir: dir, RunID: runID, BatchRows: 4096,
		RunTime: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	for i, r := range recs {
		out := &pipeline.Analysis{Lang: "en", Sentiment: pipeline.SentimentOut{Label: r.label}, Risk: topics.Risk{Level: "none"}}
		for _, m := range r.mentions {
			out.Topics = append(out.Topics, topics.Mention{Topic: m.Topic, Sentiment: m.Sentiment, Evidence: "x", End: 1})
		}
		rec := &pipeline.Record{Seq: int64(i), Source: "test", Line: i + 1, ID: r.id, Text: "x", Fields: r.fields, Out: out}
		if err := sink.Write(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
}

// synthRecords turns generated items into tagged records carrying their
// planted mentions; with inline scores, scored items carry csat, nps, ces.
func synthRecords(t testing.TB, items []synth.Item, inline bool) []testRecord {
	t.Helper()
	recs := make([]testRecord, 0, len(items))
	for _, it := range items {
		label := "positive"
		for _, m := range it.Mentions {
			if m.Sentiment == "negative" {
				label = "negative"
			}
		}
		kv := []any{"created_at", it.CreatedAt.Format(time.RFC3339), "region", it.Region, "channel", it.Channel}
		if inline && it.HasScores {
			kv = append(kv, "csat", it.CSAT, "nps", it.NPS, "ces", it.CES)
		}
		recs = append(recs, testRecord{id: it.ID, label: label, mentions: it.Mentions, fields: fieldsOf(t, kv...)})
	}
	return recs
}
