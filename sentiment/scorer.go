package sentiment

import (
	"math"
	"slices"
	"strings"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/models"
	"github.com/vocal-dev/vocal/segment"
)

// Labels.
const (
	Positive = "positive"
	Negative = "negative"
	Neutral  = "neutral"
)

// Hit is a sentiment term that fired: its lexicon weight, the value it added
// after modifiers, and its span (original rune offsets Start/End, normalized
// NStart/NEnd).
type Hit struct {
	Term      string   `json:"term"`
	Weight    float64  `json:"weight"`
	Value     float64  `json:"value"`
	Modifiers []string `json:"modifiers,omitempty"`
	Start     int      `json:"start"`
	End       int      `json:"end"`
	Clause    int      `json:"-"`
	NStart    int      `json:"-"`
	NEnd      int      `json:"-"`
	// Fact is set for a term that names an event or a courtesy, not an
	// attitude (lexicons.Entry.Fact).
	Fact bool `json:"fact,omitempty"`
}

// Marker is a modifier found in the text (negator, hypothetical, event, ...),
// exposed so that risk and topic taggers share one matching pass.
type Marker struct {
	Kind         lexicons.ModifierKind
	Term         string
	NStart, NEnd int
	Clause       int
}

// Result is the sentiment of one document.
type Result struct {
	Label string
	Score float64 // document score in [-1, 1]
	// Confidence is the calibrated probability of Label when a model scored
	// the document (Source "model"), else 0 (Source "lexicon").
	Confidence float64
	Source     string
	// Lexical is the lexicons' own label and score, before any model.
	Lexical struct {
		Label string
		Score float64
	}
	Hits []Hit
	// Enquiry is set when the document asks or requests without an attitude
	// of its own (请问怎么注销, please close my account): fact terms do not
	// count toward its score, and a risk term alone does not make it negative.
	Enquiry bool
	// Clauses holds each clause's own score in [-1, 1] (no contrast weighting)
	// and whether any term fired in it, indexed like Doc.Clauses.
	Clauses []ClauseScore
	Markers []Marker
}

// ClauseScore is the sentiment of one clause.
type ClauseScore struct {
	Score  float64
	Raw    float64
	Weight float64
	Fired  bool
}

// Scorer scores documents. Build with New; safe for concurrent use.
type Scorer struct {
	matcher       *segment.Matcher
	entries       []entry
	band          float64            // documents with |score| below it are neutral
	aspectBand    float64            // the same for clauses and aspects
	contrast      map[string]float64 // connective -> weight of the clause it opens
	concession    map[string]float64
	models        map[string]*models.Linear // document model per language
	unsure        *float64                  // overrides the models' own Unsure when set
	modelsVersion string
}

type entry struct {
	term   string
	kind   lexicons.ModifierKind // "" for a sentiment term
	weight float64
	fact   bool
}

// Option tunes a Scorer.
type Option func(*Scorer)

// WithNeutralBand sets the half-width of the band around 0 labelled neutral
// for documents (default 0.15) and for clauses and aspects (default 0.1). A
// document needs a little more evidence: one mild word (还行, ok) is neutral.
func WithNeutralBand(doc, aspect float64) Option {
	return func(s *Scorer) { s.band, s.aspectBand = doc, aspect }
}

// New builds a scorer from the sentiment terms and modifiers of set.
func New(seg *segment.Segmenter, set *lexicons.Set, opts ...Option) *Scorer {
	s := &Scorer{band: 0.15, aspectBand: 0.1, contrast: map[string]float64{}, concession: map[string]float64{}}
	for _, o := range opts {
		o(s)
	}
	terms := make([]string, 0, len(set.Sentiment)+len(set.Modifiers))
	for _, e := range set.Sentiment {
		s.entries = append(s.entries, entry{term: e.Term, weight: e.Weight, fact: e.Fact})
		terms = append(terms, e.Term)
	}
	for _, m := range set.Modifiers {
		s.entries = append(s.entries, entry{term: m.Term, kind: m.Kind, weight: m.Weight})
		terms = append(terms, m.Term)
		switch m.Kind {
		case lexicons.Contrast:
			s.contrast[seg.Normalize(m.Term)] = m.Weight
		case lexicons.Concession:
			s.concession[seg.Normalize(m.Term)] = m.Weight
		}
	}
	var glue []string
	for _, m := range set.Modifiers {
		switch m.Kind {
		case lexicons.Negator, lexicons.Intensifier, lexicons.Diminisher:
			glue = append(glue, m.Term)
		}
	}
	s.matcher = seg.NewMatcher(terms, segment.AlignToWords(append(glue, adverbGlue...), particleGlue))
	return s
}

// adverbGlue and particleGlue may sit inside a gse word next to a sentiment
// term without changing it (也好, 好了, 慢死了).
var (
	adverbGlue   = strings.Fields("也 都 还 就 又 真 是 可 好 老 挺 蛮 较 也很 都很 还是 真的 就是 都不 也不 还不 就不 又不 真不")
	particleGlue = strings.Fields("了 的 啊 呀 吧 哦 呢 吗 嘛 啦 喔 哇 得 地 着 过 死 爆 透 极 炸 疯 哭 晕 翻 坏 些 点 一点 一些 了吧 的话 死了 极了 透了 爆了 得很 得多 多了 一批 至极")
)

// Scope limits, in tokens between a modifier and the term it changes.
const (
	modifierScope = 3
	alpha         = 15.0 // normalization constant: score = raw / sqrt(raw^2 + alpha)
	emphasis      = 1.3  // folded repeats (好好好好) and exclamations
	questionDamp  = 0.15 // plain questions carry little attitude
	weakNegation  = 0.5  // 不是很好 / not very good: negation across an intensifier
)

// negativityBias weighs complaints above praise in the document score:
// reviewers hedge praise and state complaints, and a complaint is what the
// analyst must act on (GUIDELINES: in doubt, negative).
const negativityBias = 1.5

// normalize squashes a raw sum into [-1, 1] as VADER does.
func normalize(raw float64) float64 {
	if raw == 0 {
		return 0
	}
	return raw / math.Sqrt(raw*raw+alpha)
}

type pending struct {
	negs      int
	negMult   float64
	degree    float64
	degreeNeg bool // an intensifier came after the negator
	lastEnd   int
	mods      []string
	carry     bool // negation carried from the previous term: adjacent terms only
}

func (p *pending) reset() { *p = pending{degree: 1, lastEnd: -1} }

func (p *pending) scope() int {
	if p.carry {
		return 1
	}
	return modifierScope
}

// Score scores a segmented document.
func (s *Scorer) Score(d *segment.Doc) Result {
	res := Result{Clauses: make([]ClauseScore, len(d.Clauses))}
	matches := s.matcher.Find(d)
	rs := d.Norm.Runes
	ci := 0
	var p pending
	p.reset()
	n := len(d.Clauses)
	buf := make([]float64, 3*n)
	rhetorical := buf[:n:n]
	request := buf[n : 2*n : 2*n] // clause multiplier of a request, 0 when none
	fact := buf[2*n:]             // sum of the clause's fact terms
	for _, m := range matches {
		for ci < len(d.Clauses) && m.Start >= d.Clauses[ci].End {
			ci++
			p.reset()
		}
		if ci >= len(d.Clauses) || m.Start < d.Clauses[ci].Start {
			continue
		}
		e := s.entries[m.ID]
		if p.lastEnd >= 0 && d.TokensBetween(p.lastEnd, m.Start) > p.scope() {
			p.reset()
		}
		if e.kind != "" {
			res.Markers = append(res.Markers, Marker{Kind: e.kind, Term: e.term, NStart: m.Start, NEnd: m.End, Clause: ci})
		}
		switch e.kind {
		case lexicons.Negator:
			if p.negs == 0 {
				p.negMult = e.weight
			}
			p.negs++
			p.lastEnd = m.End
			p.mods = append(p.mods, e.term)
			continue
		case lexicons.Intensifier, lexicons.Diminisher:
			p.degree *= e.weight
			p.degreeNeg = p.degreeNeg || (p.negs > 0 && e.kind == lexicons.Intensifier)
			p.lastEnd = m.End
			p.mods = append(p.mods, e.term)
			continue
		case lexicons.Rhetorical:
			if rhetorical[ci] == 0 {
				rhetorical[ci] = e.weight
			}
		case lexicons.Request:
			request[ci] = e.weight
		}
		if e.kind != "" {
			continue
		}
		if e.weight == 0 { // blocker
			continue
		}
		v := e.weight * p.degree
		if emphasized(d, m) {
			v *= emphasis
		}
		if p.negs%2 == 1 {
			if p.degreeNeg {
				v = -e.weight * weakNegation
			} else {
				v *= p.negMult
			}
		}
		if e.weight > 0 && quoted(rs, m) {
			v = -math.Abs(v) // scare quotes: 真是太"好用"了
		}
		start, end := d.Span(m.Start, m.End)
		res.Hits = append(res.Hits, Hit{Term: e.term, Weight: e.weight, Value: v, Modifiers: p.mods,
			Start: start, End: end, Clause: ci, NStart: m.Start, NEnd: m.End, Fact: e.fact})
		res.Clauses[ci].Raw += v
		if e.fact {
			fact[ci] += v
		}
		res.Clauses[ci].Fired = true
		negs, negMult := p.negs, p.negMult
		p.reset()
		if negs%2 == 1 {
			// negation carries over a coordinated term right after this one
			// (没有发热起火的问题, no smoke or sparks)
			p.negs, p.negMult, p.lastEnd = 1, negMult, m.End
			p.carry = true
		}
	}
	s.finish(d, &res, rhetorical, request, fact)
	s.combine(d, &res)
	return res
}

func emphasized(d *segment.Doc, m segment.Match) bool {
	for k := m.Start; k < m.End; k++ {
		if d.Norm.Emph[k] {
			return true
		}
	}
	return false
}

func quoted(rs []rune, m segment.Match) bool {
	if m.Start == 0 || m.End >= len(rs) {
		return false
	}
	q := rs[m.Start-1]
	return (q == '"' || q == '\'') && rs[m.End] == q
}

// finish applies clause-level rules (questions, requests, rhetoric,
// exclamation, contrast and concession weights) and sums the document score.
// A contrast connective weighs every clause after it up to the next one (东西
// 不错, 但是物流慢, 等了十天) and every clause before it down. In an enquiry
// the fact terms (fact: their sum per clause) leave the document score.
func (s *Scorer) finish(d *segment.Doc, res *Result, rhetorical, request, fact []float64) {
	res.Enquiry = enquiry(d, res, rhetorical, request)
	after := 1.0 // weight of the clauses after the latest contrast connective
	for i, c := range d.Clauses {
		cs := &res.Clauses[i]
		mult := 1.0
		switch {
		case c.Question && rhetorical[i] != 0:
			if cs.Raw > 0 || !cs.Fired {
				cs.Raw = -math.Abs(cs.Raw) + rhetorical[i]
				cs.Fired = true
			}
		case c.Question && (insistent(d, c) || repeats(res.Markers, i)):
			// why is it not here?? / why was I charged again? assert, not ask
		case c.Question:
			mult = questionDamp
		case request[i] != 0:
			mult = request[i]
		case exclaimed(d, c):
			mult = emphasis
		}
		cs.Raw *= mult
		fact[i] *= mult
		cs.Score = normalize(cs.Raw)
		if w, ok := s.contrast[c.Lead]; ok && w > 0 {
			for k := 0; k < i; k++ {
				res.Clauses[k].Weight /= w
			}
			after = w
		}
		cs.Weight = after
		if w, ok := s.concession[c.Lead]; ok {
			cs.Weight *= w
		}
	}
	raw := 0.0
	for i, cs := range res.Clauses {
		v := cs.Raw
		if res.Enquiry {
			v -= fact[i]
		}
		v *= cs.Weight
		if v < 0 {
			v *= negativityBias
		}
		raw += v
	}
	res.Score = Round(normalize(raw))
	res.Label = label(res.Score, s.band)
}

// repeats reports whether a repeat marker (又, still) sits in clause ci.
func repeats(markers []Marker, ci int) bool {
	for _, m := range markers {
		if m.Clause == ci && m.Kind == lexicons.Repeat {
			return true
		}
	}
	return false
}

// enquiry reports whether d asks or requests without an attitude of its own,
// which GUIDELINES label neutral: some clause is a plain question or a
// request, nothing insists (no rhetorical, repeat or degree marker, no
// folded repeat, no ?? or !!), and every term outside the asking clauses is
// a fact (我的卡被盗刷了, 请问怎么办).
func enquiry(d *segment.Doc, res *Result, rhetorical, request []float64) bool {
	asks := false
	for i, c := range d.Clauses {
		if insistent(d, c) {
			return false
		}
		asks = asks || (c.Question && rhetorical[i] == 0) || request[i] != 0
	}
	if !asks || slices.Contains(d.Norm.Emph, true) {
		return false
	}
	for _, m := range res.Markers {
		switch m.Kind {
		case lexicons.Rhetorical, lexicons.Repeat, lexicons.Intensifier:
			return false
		}
	}
	for _, h := range res.Hits {
		if c := d.Clauses[h.Clause]; !h.Fact && !c.Question && request[h.Clause] == 0 {
			return false
		}
	}
	return true
}

// insistent reports whether a clause ends in two or more of ? and ! (why is
// it not here??, 怎么回事?!).
func insistent(d *segment.Doc, c segment.Clause) bool {
	_, n, folded := endMarks(d, c)
	return n >= 2 || folded
}

// exclaimed reports whether a clause ends in !.
func exclaimed(d *segment.Doc, c segment.Clause) bool {
	last, _, _ := endMarks(d, c)
	return last == '!'
}

// endMarks reads the ? and ! that end clause c (spaces and ~ between them
// skipped): the last one, how many, and whether one was folded from a
// repeat (!!! is one ! marked as emphasis).
func endMarks(d *segment.Doc, c segment.Clause) (last rune, n int, folded bool) {
	for k := c.End - 1; k >= c.Start; k-- {
		switch r := d.Norm.Runes[k]; r {
		case '?', '!':
			if n == 0 {
				last = r
			}
			n++
			folded = folded || d.Norm.Emph[k]
		case ' ', '~':
		default:
			return last, n, folded
		}
	}
	return last, n, folded
}

func label(score, band float64) string {
	switch {
	case score >= band:
		return Positive
	case score <= -band:
		return Negative
	}
	return Neutral
}

// Turns reports whether a clause lead (segment.Clause.Lead) is a contrast or
// concession connective: the clauses on either side of it usually lean
// opposite ways.
func (s *Scorer) Turns(lead string) bool {
	_, c := s.contrast[lead]
	_, k := s.concession[lead]
	return c || k
}

// LabelOf maps a clause or aspect score to a label.
func (s *Scorer) LabelOf(score float64) string { return label(score, s.aspectBand) }

// Round rounds a score to the three decimals output records carry.
func Round(x float64) float64 { return math.Round(x*1000) / 1000 }
