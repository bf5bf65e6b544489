// Package synth generates a synthetic feedback data set with known truth for
// testing the root-cause tables: one topic lowers the NPS (and CSAT) of the
// responses mentioning it in one region from a given day on; every other
// topic has no effect on any score.
//
// Texts are built from short zh and en clauses written for this package, one
// per mentioned topic and aspect sentiment, each tagged by the default
// lexicons and taxonomy as exactly that topic and sentiment (checked by the
// tests of cmd/vocal). The output is a function of the Spec alone.
//
//	items := synth.Generate(synth.DefaultSpec())
//	synth.WriteFeedback(w, items, false)   // JSONL for vocal run
//	synth.WriteScores(sw, spec, items)     // CSV scores joined by id
package synth

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Spec describes the data set and its planted effect.
type Spec struct {
	Seed         uint64
	N            int
	Start, End   time.Time // created_at is uniform in [Start, End)
	Regions      []string
	Rates        map[string]float64 // chance that a response mentions each topic (independently)
	NegShare     float64            // chance that a mention is negative (else positive)
	EffectTopic  string
	EffectRegion string
	EffectFrom   time.Time
	NoScores     float64 // share of responses without scores
	Unmatched    int     // extra score rows whose ids no response has
	RiskShare    float64 // share of responses that report a safety incident (topic function)

	// NPS answer distributions (weights of 0..10) of unaffected and affected
	// responses, and the same for CSAT (1..5).
	NPSBase, NPSAffected   [11]float64
	CSATBase, CSATAffected [5]float64
}

// DefaultSpec is the data set of the quality tests: 24,000 responses over
// six months (2026-05 to 2026-10) in four regions; logistics mentions in
// north from 2026-08-01 answer NPS -45 instead of 20 (65 points lower),
// which lowers north's NPS by 0.25 x 65 = 16 points from that month on.
func DefaultSpec() Spec {
	return Spec{
		Seed:         5,
		N:            24000,
		Start:        time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
		End:          time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Regions:      []string{"east", "north", "south", "west"},
		Rates:        map[string]float64{"logistics": 0.25, "price": 0.20, "service_attitude": 0.15, "function": 0.15},
		NegShare:     0.6,
		EffectTopic:  "logistics",
		EffectRegion: "north",
		EffectFrom:   time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC),
		NoScores:     0.03,
		Unmatched:    40,
		RiskShare:    0.01,
		// promoters 45%, detractors 25%: NPS 20
		NPSBase: [11]float64{2, 2, 2, 3, 4, 5, 7, 15, 15, 20, 25},
		// promoters 15%, detractors 60%: NPS -45
		NPSAffected:  [11]float64{6, 6, 8, 10, 10, 10, 10, 13, 12, 8, 7},
		CSATBase:     [5]float64{5, 10, 20, 35, 30},
		CSATAffected: [5]float64{25, 30, 25, 15, 5},
	}
}

// Mention is a planted topic mention.
type Mention struct{ Topic, Sentiment string }

// Item is one generated response with its truth.
type Item struct {
	ID        string
	Text      string
	Lang      string
	CreatedAt time.Time
	Region    string
	Channel   string
	Mentions  []Mention
	Risk      bool // reports a safety incident (function, negative)
	Affected  bool // the planted effect set its scores
	HasScores bool
	CSAT      int
	NPS       int
	CES       int
}

// Clauses lists the clauses of each topic and aspect sentiment by language;
// "" is the filler of a response without a topic.
var Clauses = map[string]map[string][]string{
	"zh": {
		"logistics:negative":        {"物流太慢了，等了一个星期才到", "快递送得太慢了", "发货太慢了，物流很差"},
		"logistics:positive":        {"物流很快，第二天就到了", "快递很给力，包装也很好"},
		"price:negative":            {"价格太贵了", "太贵了，不值这个价"},
		"price:positive":            {"价格很便宜", "性价比很高"},
		"service_attitude:negative": {"客服态度太差了", "客服一直不回复，服务很差"},
		"service_attitude:positive": {"客服态度很好", "客服回复很及时，很耐心"},
		"function:negative":         {"质量很差，用了两天就坏了", "功能很鸡肋，经常卡顿"},
		"function:positive":         {"质量很好，很好用", "功能很强大，运行很流畅"},
		"":                          {"还可以吧"},
		"risk":                      {"充电的时候冒烟了，差点起火"},
	},
	"en": {
		"logistics:negative":        {"Delivery was very slow.", "The package arrived late and the shipping was terrible.", "Shipping took forever."},
		"logistics:positive":        {"Shipping was fast.", "Fast delivery, arrived early."},
		"price:negative":            {"The price is too expensive.", "Overpriced for what you get."},
		"price:positive":            {"Great price, very affordable.", "Good value for money."},
		"service_attitude:negative": {"The customer service was rude.", "Support was unhelpful and rude."},
		"service_attitude:positive": {"The customer service was very helpful.", "The support team was friendly and patient."},
		"function:negative":         {"The product stopped working after two days.", "The app keeps crashing."},
		"function:positive":         {"The product works great.", "Everything works smoothly."},
		"":                          {"It is okay."},
		"risk":                      {"The charger caught fire last night."},
	},
}

// topicOrder fixes the order in which topics are drawn and written.
var topicOrder = []string{"logistics", "price", "service_attitude", "function"}

// Generate draws the responses of spec.
func Generate(spec Spec) []Item {
	r := rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15))
	span := spec.End.Sub(spec.Start)
	channels := []string{"app", "web"}
	items := make([]Item, 0, spec.N)
	for i := range spec.N {
		it := Item{ID: fmt.Sprintf("t%05d", i), Lang: "zh", Region: spec.Regions[r.IntN(len(spec.Regions))], Channel: channels[r.IntN(2)]}
		if r.IntN(2) == 1 {
			it.Lang = "en"
		}
		it.CreatedAt = spec.Start.Add(time.Duration(r.Int64N(int64(span/time.Second))) * time.Second)
		var clauses []string
		for _, t := range topicOrder {
			if r.Float64() >= spec.Rates[t] {
				continue
			}
			s := "positive"
			if r.Float64() < spec.NegShare {
				s = "negative"
			}
			it.Mentions = append(it.Mentions, Mention{t, s})
			clauses = append(clauses, pick(r, Clauses[it.Lang][t+":"+s]))
		}
		if r.Float64() < spec.RiskShare {
			it.Risk = true
			if !hasMention(it.Mentions, Mention{"function", "negative"}) {
				it.Mentions = append(it.Mentions, Mention{"function", "negative"})
			}
			clauses = append(clauses, pick(r, Clauses[it.Lang]["risk"]))
		}
		if len(clauses) == 0 {
			clauses = append(clauses, pick(r, Clauses[it.Lang][""]))
		}
		sep := "，"
		if it.Lang == "en" {
			sep = " "
		}
		it.Text = strings.Join(clauses, sep)
		it.Affected = it.Region == spec.EffectRegion && !it.CreatedAt.Before(spec.EffectFrom) && it.mentions(spec.EffectTopic)
		it.HasScores = r.Float64() >= spec.NoScores
		nps, csat := spec.NPSBase[:], spec.CSATBase[:]
		if it.Affected {
			nps, csat = spec.NPSAffected[:], spec.CSATAffected[:]
		}
		it.NPS = draw(r, nps)
		it.CSAT = 1 + draw(r, csat)
		it.CES = 1 + r.IntN(7)
		items = append(items, it)
	}
	return items
}

func (it Item) mentions(topic string) bool {
	for _, m := range it.Mentions {
		if m.Topic == topic {
			return true
		}
	}
	return false
}

func hasMention(ms []Mention, m Mention) bool {
	for _, x := range ms {
		if x == m {
			return true
		}
	}
	return false
}

func pick(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

// draw returns an index with probability proportional to its weight.
func draw(r *rand.Rand, w []float64) int {
	var total float64
	for _, x := range w {
		total += x
	}
	u := r.Float64() * total
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

// NPSOf is the NPS in points of an answer distribution over 0..10.
func NPSOf(w [11]float64) float64 {
	var total, prom, det float64
	for i, x := range w {
		total += x
		switch {
		case i >= 9:
			prom += x
		case i <= 6:
			det += x
		}
	}
	return 100 * (prom - det) / total
}

// TrueImpact is the expected NPS impact of the effect topic (NPS of all
// responses minus NPS without its mentioners) among the scored responses of
// region ("" for all) created in [from, to), given the drawn design: with
// n_a of the n responses affected, it is n_a/n x (NPS(affected) - NPS(base)).
func TrueImpact(spec Spec, items []Item, region string, from, to time.Time) float64 {
	var n, na float64
	for _, it := range items {
		if !it.HasScores || (region != "" && it.Region != region) || it.CreatedAt.Before(from) || !it.CreatedAt.Before(to) {
			continue
		}
		n++
		if it.Affected {
			na++
		}
	}
	if n == 0 {
		return 0
	}
	return na / n * (NPSOf(spec.NPSAffected) - NPSOf(spec.NPSBase))
}

type feedbackLine struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	CreatedAt string `json:"created_at"`
	Region    string `json:"region"`
	Channel   string `json:"channel"`
	CSAT      *int   `json:"csat,omitempty"`
	NPS       *int   `json:"nps,omitempty"`
	CES       *int   `json:"ces,omitempty"`
}

// WriteFeedback writes the responses as JSONL input for vocal run; with
// inlineScores the scored ones carry csat, nps and ces.
func WriteFeedback(w io.Writer, items []Item, inlineScores bool) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, it := range items {
		l := feedbackLine{ID: it.ID, Text: it.Text, CreatedAt: it.CreatedAt.Format(time.RFC3339), Region: it.Region, Channel: it.Channel}
		if inlineScores && it.HasScores {
			l.CSAT, l.NPS, l.CES = &it.CSAT, &it.NPS, &it.CES
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}

// WriteScores writes the scores of the scored responses as CSV (id, nps,
// csat, ces), followed by spec.Unmatched rows whose ids no response has.
func WriteScores(w io.Writer, spec Spec, items []Item) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "nps", "csat", "ces"})
	for _, it := range items {
		if it.HasScores {
			cw.Write([]string{it.ID, strconv.Itoa(it.NPS), strconv.Itoa(it.CSAT), strconv.Itoa(it.CES)})
		}
	}
	for i := range spec.Unmatched {
		cw.Write([]string{fmt.Sprintf("missing%03d", i), "10", "5", "1"})
	}
	cw.Flush()
	return cw.Error()
}
