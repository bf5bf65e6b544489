package sentiment_test

import (
	"testing"

	"github.com/vocal-dev/vocal/sentiment"
)

func TestDecide(t *testing.T) {
	for _, c := range []struct {
		name       string
		probs      [3]float64
		lexical    string
		enquiry    bool
		unsure     float64
		label, src string
	}{
		{"confident model says neutral over a lexicon hit", [3]float64{0.1, 0.8, 0.1}, sentiment.Negative, false, 0.6, sentiment.Neutral, sentiment.SourceModel},
		{"confident model finds a complaint with no lexicon term", [3]float64{0.7, 0.2, 0.1}, sentiment.Neutral, false, 0.6, sentiment.Negative, sentiment.SourceModel},
		{"unsure model: the lexicons decide", [3]float64{0.4, 0.35, 0.25}, sentiment.Positive, false, 0.6, sentiment.Positive, sentiment.SourceLexicon},
		{"unsure model: lexicon neutral stands", [3]float64{0.45, 0.1, 0.45}, sentiment.Neutral, false, 0.6, sentiment.Neutral, sentiment.SourceLexicon},
		{"probability at the threshold decides", [3]float64{0.2, 0.2, 0.6}, sentiment.Negative, false, 0.6, sentiment.Positive, sentiment.SourceModel},
		{"an enquiry keeps the lexicons' neutral over a sure model", [3]float64{0.9, 0.05, 0.05}, sentiment.Neutral, true, 0.6, sentiment.Neutral, sentiment.SourceLexicon},
		{"unsure 0: the model always decides", [3]float64{0.34, 0.33, 0.33}, sentiment.Positive, false, 0, sentiment.Negative, sentiment.SourceModel},
	} {
		label, src := sentiment.Decide(c.probs, c.lexical, c.enquiry, c.unsure)
		if label != c.label || src != c.src {
			t.Errorf("%s: Decide(%v, %s, %v, %v) = %s, %s; want %s, %s", c.name, c.probs, c.lexical, c.enquiry, c.unsure, label, src, c.label, c.src)
		}
	}
}
