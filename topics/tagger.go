package topics

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/vocal-dev/vocal/lexicons"
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
}

// Tagger finds topic mentions. Build with New; safe for concurrent use.
type Tagger struct {
	keys     []string
	matcher  *segment.Matcher
	cues     []cue
	patterns []*regexp.Regexp // one combined pattern per topic, nil when it has none
	byRisk   map[string][]int // risk category -> topics it implies
	scorer   *sentiment.Scorer
}

type cue struct {
	topic int // -1 for an exclusion
	term  string
}

// New compiles the taxonomy. The scorer supplies clause polarity and labels.
func New(seg *segment.Segmenter, scorer *sentiment.Scorer, tax *lexicons.Taxonomy) (*Tagger, error) {
	t := &Tagger{scorer: scorer, byRisk: map[string][]int{}}
	var terms []string
	for i, tp := range tax.Topics {
		t.keys = append(t.keys, tp.Key)
		for _, c := range tp.RiskCategories {
			t.byRisk[c] = append(t.byRisk[c], i)
		}
		for _, c := range tp.Cues {
			t.cues = append(t.cues, cue{topic: i, term: c})
			terms = append(terms, c)
		}
		for _, c := range tp.Exclude {
			t.cues = append(t.cues, cue{topic: -1, term: c})
			terms = append(terms, c)
		}
		var re *regexp.Regexp
		if len(tp.Patterns) > 0 {
			var err error
			re, err = regexp.Compile("(?:" + strings.Join(tp.Patterns, ")|(?:") + ")")
			if err != nil {
				return nil, fmt.Errorf("taxonomy topic %q: %w", tp.Key, err)
			}
		}
		t.patterns = append(t.patterns, re)
	}
	t.matcher = seg.NewMatcher(terms)
	return t, nil
}

// Keys lists the topic keys in taxonomy order.
func (t *Tagger) Keys() []string { return t.keys }

type found struct {
	topic, clause int
	cue           string
}

// Tag returns the topic mentions of d, one per topic and clause, in text order.
// Risk hits of a category a topic lists imply that topic in the hit's clause.
func (t *Tagger) Tag(d *segment.Doc, sent sentiment.Result, risk Risk) []Mention {
	var hits []found
	seen := map[[2]int]bool{}
	add := func(topic, start int, cueText string) {
		c := d.ClauseOf(start)
		if c < 0 || seen[[2]int{topic, c}] {
			return
		}
		seen[[2]int{topic, c}] = true
		hits = append(hits, found{topic: topic, clause: c, cue: cueText})
	}
	for _, m := range t.matcher.Find(d) {
		if cu := t.cues[m.ID]; cu.topic >= 0 {
			add(cu.topic, m.Start, string(d.Norm.Runes[m.Start:m.End]))
		}
	}
	norm := d.NormString()
	for i, re := range t.patterns {
		if re == nil {
			continue
		}
		for _, loc := range re.FindAllStringIndex(norm, -1) {
			add(i, d.RuneIndex(loc[0]), norm[loc[0]:loc[1]])
		}
	}
	for _, h := range risk.Hits {
		for _, topic := range t.byRisk[h.Category] {
			add(topic, h.NStart, h.Term)
		}
	}
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
		score := t.polarity(d, sent, h.clause, topicClauses)
		c := d.Clauses[h.clause]
		text, start, end := d.Evidence(c.Start, c.End)
		out = append(out, Mention{Topic: t.keys[h.topic], Sentiment: t.scorer.LabelOf(score), Score: score,
			Evidence: text, Start: start, End: end, Cue: h.cue})
	}
	return out
}

// polarity is the score of the mention's own clause; when nothing fired there,
// the next clause without a topic of its own (物流, 等了十天), else the
// previous one, else the document's.
func (t *Tagger) polarity(d *segment.Doc, sent sentiment.Result, clause int, topicClauses map[int]bool) float64 {
	if cs := sent.Clauses[clause]; cs.Fired {
		return round(cs.Score)
	}
	for _, k := range []int{clause + 1, clause - 1} {
		if k >= 0 && k < len(sent.Clauses) && !topicClauses[k] && sent.Clauses[k].Fired {
			return round(sent.Clauses[k].Score)
		}
	}
	return sent.Score
}

func round(x float64) float64 { return float64(int(x*1000+sign(x)*0.5)) / 1000 }

func sign(x float64) float64 {
	if x < 0 {
		return -1
	}
	return 1
}
