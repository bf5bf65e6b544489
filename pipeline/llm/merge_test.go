package llm

import (
	"reflect"
	"testing"

	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/pipeline/redact"
	"github.com/vocal-dev/vocal/topics"
)

func TestMergeRules(t *testing.T) {
	text := []rune("客服态度太差了，还说要起诉我")
	local := pipeline.Analysis{Lang: "zh",
		Sentiment: pipeline.SentimentOut{Label: "negative", Score: -0.5, Source: "lexicon",
			Evidence: []pipeline.Evidence{{Text: "太差", Term: "太差", Value: -2, Start: 4, End: 6}}},
		Topics: []topics.Mention{{Topic: "service_attitude", Sentiment: "negative", Score: -0.5, Evidence: "客服态度太差了", Start: 0, End: 7, Cue: "客服"}},
		Risk:   topics.Risk{Level: "high", Hits: []topics.RiskHit{{Term: "起诉", Category: "legal", Level: "high", Start: 11, End: 13}}}}
	before := mustJSON(t, local)
	v := &validTag{sentiment: "negative", score: -0.9,
		topics: []validTopic{
			{topic: "service_attitude", sentiment: "positive", score: 0.3, span: span{0, 4}},  // flips the local mention
			{topic: "service_attitude", sentiment: "negative", score: -0.9, span: span{2, 6}}, // overlaps it again: ignored
			{topic: "price", sentiment: "neutral", score: 0, span: span{8, 10}},               // added
		},
		risk: "medium", category: "churn", riskSpan: span{11, 13}} // lower than local: ignored
	out, changed := merge(local, v, text)
	if !changed {
		t.Fatal("not changed")
	}
	if mustJSON(t, local) != before {
		t.Fatalf("merge mutated its input")
	}
	want := pipeline.Analysis{Lang: "zh", Sentiment: local.Sentiment,
		Topics: []topics.Mention{
			{Topic: "service_attitude", Sentiment: "positive", Score: 0.3, Evidence: "客服态度太差了", Start: 0, End: 7, Cue: "客服", Source: "llm"},
			{Topic: "price", Sentiment: "neutral", Evidence: "还说", Start: 8, End: 10, Source: "llm"}},
		Risk: local.Risk}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("merged\n%s\nwant\n%s", mustJSON(t, out), mustJSON(t, want))
	}
}

// TestValidateMapsPlaceholders: a quote spanning a placeholder maps to the
// whole original data; quotes are found despite width and case changes.
func TestValidateMapsPlaceholders(t *testing.T) {
	p, err := newTagPrompt(testTaxonomy())
	if err != nil {
		t.Fatal(err)
	}
	text := "打13812345678没人接，Service is BAD"
	red := redact.Redact(text)
	ans := answerJSON(TagAnswer{Sentiment: "negative", Score: -0.5, SentimentEvidence: []string{"service is bad"},
		Topics: []TopicAnswer{{Topic: "service_attitude", Sentiment: "negative", Score: -0.5, Evidence: "打[PHONE]没人接,"}}})
	v, err := p.validate(ans, red)
	if err != nil {
		t.Fatal(err)
	}
	rs := []rune(text)
	if got := string(rs[v.topics[0].start:v.topics[0].end]); got != "打13812345678没人接，" {
		t.Errorf("topic span %q", got)
	}
	if got := string(rs[v.evidence[0].start:v.evidence[0].end]); got != "Service is BAD" {
		t.Errorf("evidence span %q", got)
	}
}
