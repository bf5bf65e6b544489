package topics

import (
	"fmt"
	"slices"
	"sort"
	"unicode"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/models"
	"github.com/vocal-dev/vocal/segment"
	"github.com/vocal-dev/vocal/sentiment"
)

// Mention is one topic mentioned in one clause, with the polarity of that
// clause and its evidence (original text and rune offsets, end exclusive).
type Mention struct {
	Topic     string  `json:"topic"`
	Sentiment string  `json:"sentiment"`
	Score     float64 `json:"score"`
	Evidence  string  `json:"evidence"`
	Start     int     `json:"start"`
	End       int     `json:"end"`
	Cue       string  `json:"cue"`
	// Source is "model" for a mention the topic model found in a clause no
	// cue or pattern matched, "llm" for one the LLM assist added or changed;
	// empty for cue, pattern and risk mentions.
	Source string `json:"source,omitempty"`
}

// Tagger finds topic mentions. Build with New; safe for concurrent use.
type Tagger struct {
	keys     []string
	matcher  *segment.Matcher
	cues     []cue
	patterns *segment.PatternSet
	patInfo  []cue            // topic and implied polarity of each pattern
	byRisk   map[string][]int // risk category -> topics it implies
	scorer   *sentiment.Scorer
	models   map[string]*models.Linear // clause topic model per language
	modelTop []int                     // model class -> taxonomy topic, -1 when absent
	minProb  float64
}

// SourceModel marks a mention found by the topic model.
const SourceModel = "model"

// Option tunes a Tagger.
type Option func(*Tagger)

// WithModels lets a topic model per language ("zh" also serves mixed text)
// add mentions in clauses where no cue or pattern matched, when it gives a
// taxonomy topic at least minProb. Topics the taxonomy lacks are ignored.
func WithModels(set *models.Set, minProb float64) Option {
	return func(t *Tagger) {
		if set == nil || len(set.Topics) == 0 {
			return
		}
		t.models, t.minProb = map[string]*models.Linear{}, minProb
		for lang, m := range set.Topics {
			t.models[lang] = m
		}
		if m := set.Topics["zh"]; m != nil {
			t.models[segment.LangMixed] = m
		}
	}
}

type cue struct {
	topic   int // -1 for an exclusion
	term    string
	implied float64
}

// impliedScore is the aspect score of a cue or pattern marked "-:" or "+:"
// (等了半个月才到 is a logistics complaint even without a sentiment word).
const impliedScore = 0.5

// splitImplied strips a polarity mark and returns the implied aspect score.
func splitImplied(s string) (string, float64) {
	term, polarity := lexicons.SplitPolarity(s)
	return term, float64(polarity) * impliedScore
}

// New compiles the taxonomy. The scorer supplies clause polarity and labels.
func New(seg *segment.Segmenter, scorer *sentiment.Scorer, tax *lexicons.Taxonomy, opts ...Option) (*Tagger, error) {
	t := &Tagger{scorer: scorer, byRisk: map[string][]int{}}
	for _, o := range opts {
		o(t)
	}
	var terms, exprs []string
	for i, tp := range tax.Topics {
		t.keys = append(t.keys, tp.Key)
		for _, c := range tp.RiskCategories {
			t.byRisk[c] = append(t.byRisk[c], i)
		}
		for _, c := range tp.Cues {
			term, implied := splitImplied(c)
			t.cues = append(t.cues, cue{topic: i, term: term, implied: implied})
			terms = append(terms, term)
		}
		for _, c := range tp.Exclude {
			t.cues = append(t.cues, cue{topic: -1, term: c})
			terms = append(terms, c)
		}
		for _, p := range tp.Patterns {
			expr, implied := splitImplied(p)
			exprs = append(exprs, expr)
			t.patInfo = append(t.patInfo, cue{topic: i, term: expr, implied: implied})
		}
	}
	var err error
	if t.patterns, err = segment.NewPatternSet(exprs); err != nil {
		return nil, fmt.Errorf("taxonomy: %w", err)
	}
	t.matcher = seg.NewMatcher(terms, segment.AvoidStraddling())
	return t, t.mapModelClasses()
}

// mapModelClasses maps every topic model's classes to taxonomy topics; all
// models must share one class list.
func (t *Tagger) mapModelClasses() error {
	var classes []string
	for _, m := range t.models {
		if classes != nil && !slices.Equal(classes, m.Classes) {
			return fmt.Errorf("topic model %s: classes %v differ from another model's %v", m.Name, m.Classes, classes)
		}
		classes = m.Classes
	}
	for _, c := range classes {
		t.modelTop = append(t.modelTop, slices.Index(t.keys, c))
	}
	return nil
}

// modelTopics appends the topic model's mentions in the clauses no cue,
// pattern or risk hit reached.
func (t *Tagger) modelTopics(d *segment.Doc, sent sentiment.Result, hits []found) []found {
	m := t.models[d.Lang]
	if m == nil {
		return hits
	}
	covered := map[int]bool{}
	for _, h := range hits {
		covered[h.clause] = true
	}
	var feats []models.Feature
	var probs []float64
	for ci, c := range d.Clauses {
		if covered[ci] {
			continue
		}
		if feats = sentiment.NgramFeatures(d, sent.Markers, c.Start, c.End, feats[:0]); len(feats) == 0 {
			continue
		}
		probs = m.Predict(feats, probs)
		for k, p := range probs {
			if topic := t.modelTop[k]; topic >= 0 && p >= t.minProb {
				hits = append(hits, found{topic: topic, clause: ci, model: true})
			}
		}
	}
	return hits
}

func (h found) source() string {
	if h.model {
		return SourceModel
	}
	return ""
}

// Keys lists the topic keys in taxonomy order.
func (t *Tagger) Keys() []string { return t.keys }

type found struct {
	topic, clause int
	cue           string
	implied       float64
	model         bool // found by the topic model
}

// Tag returns the topic mentions of d, one per topic and clause, in text order.
// Risk hits of a category a topic lists imply that topic in the hit's clause.
func (t *Tagger) Tag(d *segment.Doc, sent sentiment.Result, risk Risk) []Mention {
	var hits []found
	index := map[[2]int]int{}
	add := func(topic, start int, cueText string, implied float64) {
		c := d.ClauseOf(start)
		if c < 0 {
			return
		}
		if k, ok := index[[2]int{topic, c}]; ok {
			if hits[k].implied == 0 {
				hits[k].implied = implied
			}
			return
		}
		index[[2]int{topic, c}] = len(hits)
		hits = append(hits, found{topic: topic, clause: c, cue: cueText, implied: implied})
	}
	for _, m := range t.matcher.Find(d) {
		if cu := t.cues[m.ID]; cu.topic >= 0 {
			add(cu.topic, m.Start, string(d.Norm.Runes[m.Start:m.End]), cu.implied)
		}
	}
	for _, m := range t.patterns.Find(d) {
		info := t.patInfo[m.ID]
		add(info.topic, m.Start, string(d.Norm.Runes[m.Start:m.End]), info.implied)
	}
	for _, h := range risk.Hits {
		for _, topic := range t.byRisk[h.Category] {
			add(topic, h.NStart, h.Term, -impliedScore)
		}
	}
	hits = t.modelTopics(d, sent, hits)
	sort.SliceStable(hits, func(a, b int) bool {
		if hits[a].clause != hits[b].clause {
			return hits[a].clause < hits[b].clause
		}
		return hits[a].topic < hits[b].topic
	})
	topicClauses := map[int]bool{}
	for _, h := range hits {
		topicClauses[h.clause] = true
	}
	out := make([]Mention, 0, len(hits))
	for _, h := range hits {
		score := t.polarity(d, sent, h, topicClauses)
		c := d.Clauses[h.clause]
		from := c.Start
		if c.Lead != "" { // evidence starts after 但是 / but
			from = d.Skip(c.Start, c.Lead)
		}
		text, start, end := d.Evidence(from, c.End)
		out = append(out, Mention{Topic: t.keys[h.topic], Sentiment: t.scorer.LabelOf(score), Score: score,
			Evidence: text, Start: start, End: end, Cue: h.cue, Source: h.source()})
	}
	return out
}

// turns reports whether clause k opens with a contrast or concession
// connective after a punctuation mark, so that it leans the other way from
// clause k-1. A connective inside a clause (快递倒是挺快) follows its own
// subject and turns nothing.
func (t *Tagger) turns(d *segment.Doc, k int) bool {
	if k == 0 || !t.scorer.Turns(d.Clauses[k].Lead) {
		return false
	}
	for i := d.Clauses[k].Start - 1; i >= d.Clauses[k-1].Start; i-- {
		if r := d.Norm.Runes[i]; !unicode.IsSpace(r) {
			return unicode.IsPunct(r)
		}
	}
	return false
}

// polarity is the score of the mention's own clause; when nothing fired
// there, the polarity its cue implies, else that of the next clause without a
// topic of its own (物流, 等了十天), else the previous one, reversed when a
// contrast or concession connective stands between them; else the reverse of
// a neighbour across such a connective even if it has a topic (价格一百块,
// 但是物流太慢了: price leans positive); else the document's lexical score
// when it is not neutral (the evidence, not the model, explains an aspect).
func (t *Tagger) polarity(d *segment.Doc, sent sentiment.Result, h found, topicClauses map[int]bool) float64 {
	clause := h.clause
	if cs := sent.Clauses[clause]; cs.Fired {
		return sentiment.Round(cs.Score)
	}
	if h.implied != 0 {
		return h.implied
	}
	for _, k := range []int{clause + 1, clause - 1} {
		if k >= 0 && k < len(sent.Clauses) && !topicClauses[k] && sent.Clauses[k].Fired {
			score := sent.Clauses[k].Score
			if t.turns(d, max(k, clause)) {
				score = -score
			}
			return sentiment.Round(score)
		}
	}
	for _, k := range []int{clause + 1, clause - 1} {
		if k >= 0 && k < len(sent.Clauses) && sent.Clauses[k].Fired && t.turns(d, max(k, clause)) {
			return sentiment.Round(-sent.Clauses[k].Score)
		}
	}
	if sent.Lexical.Label == sentiment.Neutral {
		return 0
	}
	return sent.Lexical.Score
}
