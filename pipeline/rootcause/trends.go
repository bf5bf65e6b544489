package rootcause

import (
	"math"
	"strings"
	"time"
)

// allTopics is the topic slot of a trends series over all responses.
const allTopics = -1

type seriesKey struct {
	g     int32
	topic int32
}

// trendMetrics are the metrics checked for spikes, in spike_metric order.
var trendMetrics = []string{"volume", "negative_share", "nps", "csat_mean", "ces_mean"}

// metric returns value and standard error of metric i of one period; NaN
// where undefined. The volume's error is Poisson's; the shares' and NPS's use
// the same pseudo-counts as their intervals.
func metric(a *scoreAcc, i int) (v, se float64) {
	if a == nil {
		if i == 0 {
			return 0, 1
		}
		return math.NaN(), math.NaN()
	}
	switch i {
	case 0:
		return float64(a.n), math.Sqrt(math.Max(float64(a.n), 1))
	case 1:
		if a.n == 0 {
			return math.NaN(), math.NaN()
		}
		p := (float64(a.neg) + 1) / (float64(a.n) + 2)
		return float64(a.neg) / float64(a.n), math.Sqrt(p * (1 - p) / float64(a.n))
	case 2:
		return a.nps.value(), math.Sqrt(a.nps.variance())
	case 3:
		return a.csat.mean(), a.csat.stdErr()
	}
	return a.ces.mean(), a.ces.stdErr()
}

func (d *dataset) trends() []TrendRow {
	start, err := periodStart(d.cfg.Period)
	if err != nil {
		return nil
	}
	accs := map[seriesKey]map[int64]*scoreAcc{}
	add := func(k seriesKey, p int64, r *row, neg bool) {
		m, ok := accs[k]
		if !ok {
			m = map[int64]*scoreAcc{}
			accs[k] = m
		}
		a, ok := m[p]
		if !ok {
			a = newScoreAcc()
			m[p] = a
		}
		a.add(r, neg)
	}
	first, last := int64(math.MaxInt64), int64(math.MinInt64)
	for i := range d.rows {
		r := &d.rows[i]
		if !r.hasT {
			continue
		}
		p := start(time.UnixMilli(r.ms)).Unix()
		first, last = min(first, p), max(last, p)
		for _, g := range d.slots(r) {
			add(seriesKey{g, allTopics}, p, r, r.neg)
			rowMentions(r, func(m uint16, neg bool) {
				if m&3 == topicLevel {
					add(seriesKey{g, int32(m >> 2)}, p, r, neg)
				}
			})
		}
	}
	if first > last {
		return nil
	}
	var periods []int64
	for t := time.Unix(first, 0).UTC(); t.Unix() <= last; t = nextPeriod(d.cfg.Period, t) {
		periods = append(periods, t.Unix())
	}
	topics := append([]int{allTopics}, d.sortedTopics()...)
	var out []TrendRow
	for _, g := range d.groupOrder() {
		for _, t := range topics {
			m, ok := accs[seriesKey{g, int32(t)}]
			if !ok {
				continue
			}
			name := ""
			if t != allTopics {
				name = d.topics[t]
			}
			out = append(out, d.series(d.groupValues(g), name, periods, m)...)
		}
	}
	return out
}

// series builds the rows of one topic x group over all periods, flagging the
// values that leave their trailing band.
func (d *dataset) series(group []string, topic string, periods []int64, accs map[int64]*scoreAcc) []TrendRow {
	sp := d.cfg.Spike
	hist := make([][]float64, len(trendMetrics)) // defined values of past periods, newest last
	var out []TrendRow
	for _, p := range periods {
		a := accs[p]
		var spiked []string
		for i := range trendMetrics {
			v, se := metric(a, i)
			if !math.IsNaN(v) {
				h := hist[i]
				if len(h) > sp.Lookback {
					h = h[len(h)-sp.Lookback:]
				}
				if outside(v, se, h, sp.SD, sp.MinHistory) {
					spiked = append(spiked, trendMetrics[i])
				}
				hist[i] = append(hist[i], v)
			} else if len(hist[i]) > 0 && i != 0 {
				// Periods without a value keep their place in the lookback.
				hist[i] = append(hist[i], math.NaN())
			}
		}
		if a == nil {
			continue
		}
		out = append(out, TrendRow{
			Period: time.Unix(p, 0).UTC(), Group: group, Topic: topic, Volume: a.n,
			NegativeShare: float64(a.neg) / float64(a.n),
			NPSN:          a.nps.n, NPS: a.nps.value(),
			CSATN: a.csat.n, CSATMean: a.csat.mean(), CSATPct: a.csat.topShare(),
			CESN: a.ces.n, CESMean: a.ces.mean(),
			Spike: len(spiked) > 0, SpikeMetric: strings.Join(spiked, ","),
		})
	}
	return out
}

// outside reports whether v lies more than k times sqrt(SD² + se²) from the
// mean of the defined history values (SD: their sample standard deviation;
// se: v's own standard error, as a few past values can agree by chance); false with fewer than minHistory (or
// two) defined values. NaN marks a past period without a value.
func outside(v, se float64, hist []float64, k float64, minHistory int) bool {
	var xs []float64
	for _, x := range hist {
		if !math.IsNaN(x) {
			xs = append(xs, x)
		}
	}
	if len(xs) < max(minHistory, 2) {
		return false
	}
	var mean float64
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(ss / float64(len(xs)-1))
	s := sd
	if !math.IsNaN(se) {
		s = math.Sqrt(sd*sd + se*se)
	}
	if s == 0 {
		return v != mean
	}
	return math.Abs(v-mean) > k*s
}
