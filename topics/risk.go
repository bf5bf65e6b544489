package topics

import (
	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/segment"
	"github.com/vocal-dev/vocal/sentiment"
)

// RiskHit is a risk term that fired, with original rune offsets.
type RiskHit struct {
	Term     string `json:"term"`
	Category string `json:"category"`
	Level    string `json:"level"`
	Start    int    `json:"start"`
	End      int    `json:"end"`
}

// Risk is the highest level among the hits ("none" without hits).
type Risk struct {
	Level string    `json:"level"`
	Hits  []RiskHit `json:"hits"`
}

// RiskTagger flags risk terms. Build with NewRisk; safe for concurrent use.
type RiskTagger struct {
	matcher *segment.Matcher
	terms   []lexicons.RiskTerm
}

// NewRisk compiles the risk terms.
func NewRisk(seg *segment.Segmenter, terms []lexicons.RiskTerm) *RiskTagger {
	keys := make([]string, len(terms))
	for i, t := range terms {
		keys[i] = t.Term
	}
	return &RiskTagger{matcher: seg.NewMatcher(keys), terms: terms}
}

// riskScope is how many tokens may separate a negator or hypothetical marker
// from the risk term it cancels (没有出现过发热起火).
const riskScope = 5

// Tag returns the risk of d. Negated mentions do not fire except for churn
// (不会再买 is churn); hypothetical ones do not fire for events (safety, fraud,
// privacy) unless an event marker (差点, almost) reports them; threats stay
// threats when conditional (再不处理就起诉).
func (r *RiskTagger) Tag(d *segment.Doc, sent sentiment.Result) Risk {
	risk := Risk{Level: lexicons.LevelNone, Hits: []RiskHit{}}
	for _, m := range r.matcher.Find(d) {
		t := r.terms[m.ID]
		if r.cancelled(d, sent.Markers, m, t.Category) {
			continue
		}
		start, end := d.Span(m.Start, m.End)
		risk.Hits = append(risk.Hits, RiskHit{Term: t.Term, Category: t.Category, Level: t.Level, Start: start, End: end})
		if lexicons.LevelRank(t.Level) > lexicons.LevelRank(risk.Level) {
			risk.Level = t.Level
		}
	}
	return risk
}

func (r *RiskTagger) cancelled(d *segment.Doc, markers []sentiment.Marker, m segment.Match, category string) bool {
	clause := d.ClauseOf(m.Start)
	event := category == "safety" || category == "fraud" || category == "privacy"
	cancel := false
	for _, mk := range markers {
		if mk.Clause != clause || mk.NEnd > m.Start || d.TokensBetween(mk.NEnd, m.Start) > riskScope {
			continue
		}
		switch mk.Kind {
		case lexicons.Event:
			return false
		case lexicons.Negator:
			cancel = cancel || category != "churn"
		case lexicons.Hypothetical:
			cancel = cancel || event
		}
	}
	return cancel
}
