package topics

import (
	"fmt"
	"sort"
	"strings"

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
	NStart   int    `json:"-"`
	// Source is "llm" for a hit the LLM assist added; empty for lexicon hits.
	Source string `json:"source,omitempty"`
}

// Risk is the highest level among the hits ("none" without hits).
type Risk struct {
	Level string    `json:"level"`
	Hits  []RiskHit `json:"hits"`
}

// RiskTagger flags risk terms. Build with NewRisk; safe for concurrent use.
type RiskTagger struct {
	matcher  *segment.Matcher
	terms    []lexicons.RiskTerm
	patterns *segment.PatternSet
	patTerms []lexicons.RiskTerm
}

// RegexPrefix marks a risk entry written as an RE2 pattern over the
// normalized text ("re:(再也|以后)不(会)?(买|来)"), for constructions no word
// list covers.
const RegexPrefix = "re:"

// NewRisk compiles the risk terms and patterns.
func NewRisk(seg *segment.Segmenter, terms []lexicons.RiskTerm) (*RiskTagger, error) {
	r := &RiskTagger{}
	var keys, exprs []string
	for _, t := range terms {
		if expr, ok := strings.CutPrefix(t.Term, RegexPrefix); ok {
			exprs = append(exprs, expr)
			r.patTerms = append(r.patTerms, t)
			continue
		}
		keys = append(keys, t.Term)
		r.terms = append(r.terms, t)
	}
	var err error
	if r.patterns, err = segment.NewPatternSet(exprs); err != nil {
		return nil, fmt.Errorf("risk: %w", err)
	}
	r.matcher = seg.NewMatcher(keys)
	return r, nil
}

// riskScope is how many tokens may separate a negator or hypothetical marker
// from the risk term it cancels (没有出现过发热起火).
const riskScope = 3

// Tag returns the risk of d. Negated mentions do not fire except for churn
// (不会再买 is churn); hypothetical ones do not fire for events (safety, fraud,
// privacy) unless an event or repeat marker (差点, 又, almost) reports them; threats stay
// threats when conditional (再不处理就起诉).
func (r *RiskTagger) Tag(d *segment.Doc, sent sentiment.Result) Risk {
	risk := Risk{Level: lexicons.LevelNone, Hits: []RiskHit{}}
	add := func(t lexicons.RiskTerm, m segment.Match) {
		if r.cancelled(d, sent.Markers, m, t.Category) {
			return
		}
		start, end := d.Span(m.Start, m.End)
		risk.Hits = append(risk.Hits, RiskHit{Term: t.Term, Category: t.Category, Level: t.Level, Start: start, End: end, NStart: m.Start})
		if lexicons.LevelRank(t.Level) > lexicons.LevelRank(risk.Level) {
			risk.Level = t.Level
		}
	}
	for _, m := range r.matcher.Find(d) {
		add(r.terms[m.ID], m)
	}
	if pm := r.patterns.Find(d); len(pm) > 0 {
		for _, m := range pm {
			add(r.patTerms[m.ID], segment.Match{Start: m.Start, End: m.End})
		}
		sort.SliceStable(risk.Hits, func(i, j int) bool { return risk.Hits[i].Start < risk.Hits[j].Start })
	}
	return risk
}

func (r *RiskTagger) cancelled(d *segment.Doc, markers []sentiment.Marker, m segment.Match, category string) bool {
	clause := d.ClauseOf(m.Start)
	event := category == "safety" || category == "fraud" || category == "privacy"
	cancel := false
	// markers are in text order: walk back from the hit while in scope
	k := sort.Search(len(markers), func(k int) bool { return markers[k].NEnd > m.Start })
	for k--; k >= 0; k-- {
		mk := markers[k]
		if mk.Clause != clause || d.TokensBetween(mk.NEnd, m.Start) > riskScope {
			break
		}
		switch mk.Kind {
		case lexicons.Event, lexicons.Repeat:
			return false
		case lexicons.Negator:
			cancel = cancel || category != "churn"
		case lexicons.Hypothetical:
			cancel = cancel || event
		}
	}
	return cancel
}
