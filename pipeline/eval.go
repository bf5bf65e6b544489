package pipeline

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// Gold is one labelled item (../shared/eval/GUIDELINES.md). Pointer fields
// are nil when the item does not label that task.
type Gold struct {
	ID         string             `json:"id"`
	Lang       string             `json:"lang"`
	Text       string             `json:"text"`
	Sentiment  *string            `json:"sentiment"`
	Topics     *map[string]string `json:"topics"`
	TopicScope []string           `json:"topic_scope"`
	Risk       *string            `json:"risk"`
}

// ReadGold reads a labelled JSONL set.
func ReadGold(r io.Reader, name string) ([]Gold, error) {
	var out []Gold
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var g Gold
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if g.ID == "" {
			return nil, fmt.Errorf("%s:%d: field \"id\": missing", name, n)
		}
		out = append(out, g)
	}
	return out, sc.Err()
}

// Evaluation topics and labels, as in score.py.
var (
	EvalTopics = []string{"price", "function", "service_attitude", "logistics"}
	evalLabels = []string{"positive", "neutral", "negative"}
)

// Metrics computes the figures of ../shared/eval/score.py for gold items and
// their predictions (by id). Keys match score.py's.
func Metrics(gold []Gold, pred map[string]*Analysis) map[string]float64 {
	m := map[string]float64{}
	var sent [][2]string
	binary := true
	binOK := 0
	for _, g := range gold {
		if g.Sentiment == nil {
			continue
		}
		p := ""
		score := 0.0
		if a := pred[g.ID]; a != nil {
			p, score = a.Sentiment.Label, a.Sentiment.Score
		}
		sent = append(sent, [2]string{*g.Sentiment, p})
		binary = binary && *g.Sentiment != "neutral"
		if score != 0 && (score > 0) == (*g.Sentiment == "positive") {
			binOK++
		}
	}
	if len(sent) > 0 {
		ok := 0
		for _, s := range sent {
			if s[0] == s[1] {
				ok++
			}
		}
		m["sentiment_acc"] = float64(ok) / float64(len(sent))
		var labels []string
		for _, l := range evalLabels {
			for _, s := range sent {
				if s[0] == l {
					labels = append(labels, l)
					break
				}
			}
		}
		m["sentiment_macro_f1"] = macroF1(sent, labels)
		if binary {
			m["sentiment_binary_acc_by_score"] = float64(binOK) / float64(len(sent))
		}
	}

	per := map[string]*[3]int{}
	for _, t := range EvalTopics {
		per[t] = &[3]int{}
	}
	var pair [3]int
	aspOK, aspN := 0, 0
	anyTopics := false
	for _, g := range gold {
		if g.Topics == nil {
			continue
		}
		anyTopics = true
		gt := *g.Topics
		pt := predTopics(pred[g.ID])
		scope := g.TopicScope
		if len(scope) == 0 {
			scope = EvalTopics
		}
		for _, t := range scope {
			c, ok := per[t]
			if !ok {
				continue
			}
			gl, gi := gt[t]
			pl, pi := pt[t]
			switch {
			case gi && pi:
				c[0]++
				aspN++
				if gl == pl {
					aspOK++
					pair[0]++
				} else {
					pair[1]++
					pair[2]++
				}
			case pi:
				c[1]++
				pair[1]++
			case gi:
				c[2]++
				pair[2]++
			}
		}
	}
	if anyTopics {
		sum, n := 0.0, 0
		for _, t := range EvalTopics {
			c := per[t]
			if c[0]+c[2] == 0 {
				continue
			}
			f, _, _ := f1(c[0], c[1], c[2])
			m["topic_f1_"+t] = f
			sum += f
			n++
		}
		if n > 0 {
			m["topic_macro_f1"] = sum / float64(n)
			if aspN > 0 {
				m["aspect_sentiment_acc"] = float64(aspOK) / float64(aspN)
			}
			m["topic_sentiment_pair_f1"], _, _ = f1(pair[0], pair[1], pair[2])
		}
	}

	var lv [][2]string
	for _, g := range gold {
		if g.Risk == nil {
			continue
		}
		p := "none"
		if a := pred[g.ID]; a != nil {
			p = a.Risk.Level
		}
		lv = append(lv, [2]string{*g.Risk, p})
	}
	if len(lv) > 0 {
		ok := 0
		var urgent, anyRisk [3]int
		isUrgent := func(x string) bool { return x == "critical" || x == "high" }
		for _, l := range lv {
			if l[0] == l[1] {
				ok++
			}
			count(&urgent, isUrgent(l[0]), isUrgent(l[1]))
			count(&anyRisk, l[0] != "none", l[1] != "none")
		}
		m["risk_level_acc"] = float64(ok) / float64(len(lv))
		m["risk_urgent_f1"], m["risk_urgent_precision"], m["risk_urgent_recall"] = f1(urgent[0], urgent[1], urgent[2])
		m["risk_any_f1"], _, _ = f1(anyRisk[0], anyRisk[1], anyRisk[2])
	}
	missing := 0
	for _, g := range gold {
		if pred[g.ID] == nil {
			missing++
		}
	}
	m["missing_ids"] = float64(missing)
	m["n"] = float64(len(gold))
	return m
}

func count(c *[3]int, gold, pred bool) {
	switch {
	case gold && pred:
		c[0]++
	case pred:
		c[1]++
	case gold:
		c[2]++
	}
}

// predTopics maps topic to label; the strongest mention wins when a topic repeats.
func predTopics(a *Analysis) map[string]string {
	out := map[string]string{}
	if a == nil {
		return out
	}
	best := map[string]float64{}
	for _, t := range a.Topics {
		s := t.Score
		if s < 0 {
			s = -s
		}
		if b, ok := best[t.Topic]; !ok || s > b {
			best[t.Topic] = s
			out[t.Topic] = t.Sentiment
		}
	}
	return out
}

func f1(tp, fp, fn int) (f, p, r float64) {
	if tp+fp > 0 {
		p = float64(tp) / float64(tp+fp)
	}
	if tp+fn > 0 {
		r = float64(tp) / float64(tp+fn)
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return f, p, r
}

func macroF1(pairs [][2]string, labels []string) float64 {
	if len(labels) == 0 {
		return 0
	}
	tot := 0.0
	for _, l := range labels {
		var c [3]int
		for _, pr := range pairs {
			count(&c, pr[0] == l, pr[1] == l)
		}
		f, _, _ := f1(c[0], c[1], c[2])
		tot += f
	}
	return tot / float64(len(labels))
}

// MetricOrder lists metric keys in score.py's print order, then any others.
func MetricOrder(m map[string]float64) []string {
	order := []string{"sentiment_acc", "sentiment_macro_f1", "sentiment_binary_acc_by_score"}
	for _, t := range EvalTopics {
		order = append(order, "topic_f1_"+t)
	}
	order = append(order, "topic_macro_f1", "aspect_sentiment_acc", "topic_sentiment_pair_f1",
		"risk_level_acc", "risk_urgent_f1", "risk_urgent_precision", "risk_urgent_recall", "risk_any_f1", "missing_ids", "n")
	var out []string
	seen := map[string]bool{}
	for _, k := range order {
		if _, ok := m[k]; ok {
			out = append(out, k)
			seen[k] = true
		}
	}
	var rest []string
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}
