package rootcause

import (
	"math"
	"sort"
	"strings"
	"time"
)

// DriverRow is one row of the drivers table (DESIGN.md, aggregate tables).
// Group holds the values of the --by dimensions, nil for all responses.
// Rates and scores are NaN (null in the files) where undefined; every
// interval is 95%.
type DriverRow struct {
	Group             []string
	Topic             string  `col:"topic"`
	Sentiment         string  `col:"sentiment"` // aspect sentiment, or empty for the topic as a whole
	Responses         int64   `col:"responses"`
	Mentions          int64   `col:"mentions"`
	Share             float64 `col:"share"`          // mentions / responses
	NegativeShare     float64 `col:"negative_share"` // negative mentions / mentions
	NPSN              int64   `col:"nps_n"`          // responses with an NPS answer
	NPSAll            float64 `col:"nps_all"`
	NPSAllLo          float64 `col:"nps_all_lo"`
	NPSAllHi          float64 `col:"nps_all_hi"`
	NPSMentionersN    int64   `col:"nps_mentioners_n"`
	NPSMentioners     float64 `col:"nps_mentioners"`
	NPSMentionersLo   float64 `col:"nps_mentioners_lo"`
	NPSMentionersHi   float64 `col:"nps_mentioners_hi"`
	NPSImpact         float64 `col:"nps_impact"` // NPS(all) - NPS(all without the mentioners)
	NPSImpactLo       float64 `col:"nps_impact_lo"`
	NPSImpactHi       float64 `col:"nps_impact_hi"`
	Significant       bool    `col:"significant"` // the impact interval excludes 0
	CSATMentionersN   int64   `col:"csat_mentioners_n"`
	CSATMentioners    float64 `col:"csat_mentioners"` // mean CSAT (1-5)
	CSATMentionersLo  float64 `col:"csat_mentioners_lo"`
	CSATMentionersHi  float64 `col:"csat_mentioners_hi"`
	CSATOthersN       int64   `col:"csat_others_n"`
	CSATOthers        float64 `col:"csat_others"`
	CSATOthersLo      float64 `col:"csat_others_lo"`
	CSATOthersHi      float64 `col:"csat_others_hi"`
	CSATPctMentioners float64 `col:"csat_pct_mentioners"` // % of CSAT answers 4-5
	CSATPctOthers     float64 `col:"csat_pct_others"`
	CESMentionersN    int64   `col:"ces_mentioners_n"`
	CESMentioners     float64 `col:"ces_mentioners"` // mean CES (1-7)
	CESMentionersLo   float64 `col:"ces_mentioners_lo"`
	CESMentionersHi   float64 `col:"ces_mentioners_hi"`
	CESOthersN        int64   `col:"ces_others_n"`
	CESOthers         float64 `col:"ces_others"`
	CESOthersLo       float64 `col:"ces_others_lo"`
	CESOthersHi       float64 `col:"ces_others_hi"`
}

// TrendRow is one row of the trends table: one period x topic x group.
// Topic is empty for all responses of the group.
type TrendRow struct {
	Period        time.Time `col:"period"` // start of the period (UTC date)
	Group         []string
	Topic         string  `col:"topic"`
	Volume        int64   `col:"volume"`         // responses (topic empty) or mentions
	NegativeShare float64 `col:"negative_share"` // negative responses or negative mentions, over volume
	NPSN          int64   `col:"nps_n"`
	NPS           float64 `col:"nps"`
	CSATN         int64   `col:"csat_n"`
	CSATMean      float64 `col:"csat_mean"`
	CSATPct       float64 `col:"csat_pct"` // % of CSAT answers 4-5
	CESN          int64   `col:"ces_n"`
	CESMean       float64 `col:"ces_mean"`
	Spike         bool    `col:"spike"`
	SpikeMetric   string  `col:"spike_metric"` // metrics that left their trailing band, comma-separated
}

// KeyDriverRow is one term of a key-driver regression: the score regressed
// by ordinary least squares on 0/1 indicators, one per topic x aspect
// sentiment ("logistics:negative"), plus an intercept ("(intercept)").
type KeyDriverRow struct {
	Group      []string
	ScoreField string  `col:"score_field"` // csat, nps or ces (the raw score)
	Term       string  `col:"term"`
	TermN      int64   `col:"term_n"` // answers with the indicator set (n for the intercept)
	Coef       float64 `col:"coef"`
	StdErr     float64 `col:"std_err"`
	PValue     float64 `col:"p_value"`
	R2         float64 `col:"r2"`
	N          int64   `col:"n"`
}

// Tables are the three aggregate tables and the dimensions grouping them.
type Tables struct {
	Dims       []string
	Drivers    []DriverRow
	Trends     []TrendRow
	KeyDrivers []KeyDriverRow
}

// groupOrder lists the group slots in table order: all responses (-1) first,
// then the dimension groups by their values.
func (d *dataset) groupOrder() []int32 {
	out := []int32{-1}
	if len(d.cfg.By) == 0 {
		return out
	}
	gs := make([]int32, len(d.groups))
	for i := range gs {
		gs[i] = int32(i)
	}
	sort.Slice(gs, func(i, j int) bool {
		return strings.Join(d.groups[gs[i]], "\x1f") < strings.Join(d.groups[gs[j]], "\x1f")
	})
	return append(out, gs...)
}

func (d *dataset) groupValues(g int32) []string {
	if g < 0 {
		return nil
	}
	return d.groups[g]
}

// slots are the group slots a row counts in: all responses, and its group.
func (d *dataset) slots(r *row) []int32 {
	if len(d.cfg.By) == 0 {
		return []int32{-1}
	}
	return []int32{-1, r.group}
}

func (d *dataset) sortedTopics() []int {
	ts := make([]int, len(d.topics))
	for i := range ts {
		ts[i] = i
	}
	sort.Slice(ts, func(i, j int) bool { return d.topics[ts[i]] < d.topics[ts[j]] })
	return ts
}

// scoreAcc gathers the scores of a set of responses.
type scoreAcc struct {
	n, neg    int64
	nps       npsAcc
	csat, ces meanAcc
}

func newScoreAcc() *scoreAcc {
	return &scoreAcc{csat: meanAcc{topLevel: 4}, ces: meanAcc{topLevel: math.Inf(1)}}
}

func (a *scoreAcc) add(r *row, neg bool) {
	a.n++
	if neg {
		a.neg++
	}
	if x := r.scores[sNPS]; !math.IsNaN(x) {
		a.nps.add(x)
	}
	if x := r.scores[sCSAT]; !math.IsNaN(x) {
		a.csat.add(x)
	}
	if x := r.scores[sCES]; !math.IsNaN(x) {
		a.ces.add(x)
	}
}

// topicLevel marks the topic-as-a-whole entry in a mention code.
const topicLevel = 3

type accKey struct {
	g int32
	m uint16 // topic<<2 | sentiment code, or topicLevel
}

// rowMentions calls fn for each topic-level and topic x sentiment mention of
// r, each once, with whether the mention is negative.
func rowMentions(r *row, fn func(m uint16, neg bool)) {
	for i, m := range r.ments {
		t := m >> 2
		first, neg := true, false
		for j, o := range r.ments {
			if o>>2 == t {
				if j < i {
					first = false
				}
				neg = neg || o&3 == 0
			}
		}
		if first {
			fn(t<<2|topicLevel, neg)
		}
		fn(m, m&3 == 0)
	}
}

func (d *dataset) drivers() []DriverRow {
	totals := map[int32]*scoreAcc{}
	accs := map[accKey]*scoreAcc{}
	get := func(k accKey) *scoreAcc {
		a, ok := accs[k]
		if !ok {
			a = newScoreAcc()
			accs[k] = a
		}
		return a
	}
	for i := range d.rows {
		r := &d.rows[i]
		for _, g := range d.slots(r) {
			t, ok := totals[g]
			if !ok {
				t = newScoreAcc()
				totals[g] = t
			}
			t.add(r, r.neg)
			rowMentions(r, func(m uint16, neg bool) { get(accKey{g, m}).add(r, neg) })
		}
	}
	var out []DriverRow
	for _, g := range d.groupOrder() {
		all, ok := totals[g]
		if !ok {
			continue
		}
		for _, t := range d.sortedTopics() {
			codes := []uint16{topicLevel, 0, 1, 2}
			for _, c := range codes {
				a, ok := accs[accKey{g, uint16(t)<<2 | c}]
				if !ok {
					continue
				}
				sent := ""
				if c != topicLevel {
					sent = sentiments[c]
				}
				out = append(out, driverRow(d.groupValues(g), d.topics[t], sent, all, a))
			}
		}
	}
	return out
}

func driverRow(group []string, topic, sent string, all, m *scoreAcc) DriverRow {
	r := DriverRow{Group: group, Topic: topic, Sentiment: sent, Responses: all.n, Mentions: m.n}
	r.Share = float64(m.n) / float64(all.n)
	r.NegativeShare = float64(m.neg) / float64(m.n)
	r.NPSN, r.NPSAll = all.nps.n, all.nps.value()
	r.NPSAllLo, r.NPSAllHi = all.nps.interval()
	r.NPSMentionersN, r.NPSMentioners = m.nps.n, m.nps.value()
	r.NPSMentionersLo, r.NPSMentionersHi = m.nps.interval()
	r.NPSImpact, r.NPSImpactLo, r.NPSImpactHi = npsImpact(all.nps, m.nps)
	r.Significant = r.NPSImpactLo > 0 || r.NPSImpactHi < 0
	oc := all.csat.minus(m.csat)
	r.CSATMentionersN, r.CSATMentioners = m.csat.n, m.csat.mean()
	r.CSATMentionersLo, r.CSATMentionersHi = m.csat.interval()
	r.CSATOthersN, r.CSATOthers = oc.n, oc.mean()
	r.CSATOthersLo, r.CSATOthersHi = oc.interval()
	r.CSATPctMentioners, r.CSATPctOthers = m.csat.topShare(), oc.topShare()
	oe := all.ces.minus(m.ces)
	r.CESMentionersN, r.CESMentioners = m.ces.n, m.ces.mean()
	r.CESMentionersLo, r.CESMentionersHi = m.ces.interval()
	r.CESOthersN, r.CESOthers = oe.n, oe.mean()
	r.CESOthersLo, r.CESOthersHi = oe.interval()
	return r
}

// minTermCount is the fewest answers with (and without) an indicator for it
// to enter a key-driver regression.
const minTermCount = 10

func (d *dataset) keyDrivers() []KeyDriverRow {
	k := len(d.topics) * len(sentiments)
	type fitKey struct {
		g int32
		s int
	}
	fits := map[fitKey]*olsAcc{}
	var set []int
	for i := range d.rows {
		r := &d.rows[i]
		set = set[:0]
		for _, m := range r.ments {
			set = append(set, int(m>>2)*len(sentiments)+int(m&3))
		}
		for _, g := range d.slots(r) {
			for s := range nScores {
				y := r.scores[s]
				if math.IsNaN(y) {
					continue
				}
				a, ok := fits[fitKey{g, s}]
				if !ok {
					a = newOLSAcc(k)
					fits[fitKey{g, s}] = a
				}
				a.add(y, set)
			}
		}
	}
	var out []KeyDriverRow
	for _, g := range d.groupOrder() {
		for s := range nScores {
			a, ok := fits[fitKey{g, s}]
			if !ok {
				continue
			}
			res, ok := a.fit(minTermCount)
			if !ok {
				continue
			}
			base := KeyDriverRow{Group: d.groupValues(g), ScoreField: scoreNames[s], R2: res.r2, N: int64(res.n)}
			row := base
			row.Term, row.TermN, row.Coef, row.StdErr, row.PValue = "(intercept)", int64(res.n), res.coef[0], res.se[0], res.pval[0]
			out = append(out, row)
			var terms []KeyDriverRow
			for i, t := range res.terms {
				row := base
				row.Term = d.topics[t/len(sentiments)] + ":" + sentiments[t%len(sentiments)]
				row.TermN = int64(a.xtx[(t+1)*(k+1)+t+1])
				row.Coef, row.StdErr, row.PValue = res.coef[i+1], res.se[i+1], res.pval[i+1]
				terms = append(terms, row)
			}
			sort.Slice(terms, func(i, j int) bool { return terms[i].Term < terms[j].Term })
			out = append(out, terms...)
		}
	}
	return out
}
