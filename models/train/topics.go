package train

import (
	"fmt"

	"github.com/vocal-dev/vocal/models"
	"github.com/vocal-dev/vocal/segment"
	"github.com/vocal-dev/vocal/sentiment"
)

// topicThreshold is the probability at which the topic figures count a topic
// as predicted; the tagger's default is the same.
const topicThreshold = 0.5

// unit is one example of the topic models: a clause (zh, whose opinions have
// offsets) or a sentence (en), with its default topics.
type unit struct {
	source string
	text   string
	feats  []models.Feature
	topics []int // indexes into TopicClasses, empty for none
}

// aspectSources are the corpora of the topic models, read into items whose
// Topics are default taxonomy keys; research sources are measured, never
// trained into a shipped model.
var aspectSources = []source[AspectItem]{
	{name: "zhijiang", lang: "zh", path: []string{"zhijiang2019"}, read: func(p, _ string) ([]AspectItem, error) { return ZhijiangAspects(p) }},
	{name: "m_absa_zh", lang: "zh", path: []string{"corpora", "m_absa_zh.jsonl"}, read: CorpusAspects},
	{name: "jd_laptop_aspects_zh", lang: "zh", path: []string{"corpora", "jd_laptop_aspects_zh.jsonl"}, read: CorpusAspects},
	{name: "mams", lang: "en", path: []string{"semeval", "MAMS_ACSA_train.xml"}, read: SemEvalAspects},
	{name: "m_absa_en", lang: "en", path: []string{"corpora", "m_absa_en.jsonl"}, read: CorpusAspects},
	{name: "semeval14-restaurants", lang: "en", research: true, path: []string{"semeval", "Restaurants_Train.xml"}, read: SemEvalAspects},
	{name: "semeval16-restaurants", lang: "en", research: true, path: []string{"semeval", "ABSA16_Restaurants_Train_SB1_v2.xml"}, read: SemEvalAspects},
	{name: "semeval16-laptops", lang: "en", research: true, path: []string{"semeval", "ABSA16_Laptops_Train_SB1_v2.xml"}, read: SemEvalAspects},
}

// topicUnits cuts aspect items into clause or sentence examples.
func topicUnits(items []AspectItem, seg *segment.Segmenter, scorer *sentiment.Scorer) []unit {
	class := map[string]int{}
	for i, c := range TopicClasses {
		class[c] = i
	}
	var out []unit
	for _, it := range items {
		d := seg.Segment(it.Text)
		res := scorer.Score(d)
		if it.At == nil {
			u := unit{source: it.Source, text: it.Text, feats: sentiment.NgramFeatures(d, res.Markers, 0, len(d.Norm.Runes), nil)}
			for _, t := range it.Topics {
				u.topics = append(u.topics, class[t])
			}
			out = append(out, u)
			continue
		}
		for _, c := range d.Clauses {
			start, end := d.Span(c.Start, c.End)
			u := unit{source: it.Source, text: it.Text + "\x00" + d.Slice(start, end),
				feats: sentiment.NgramFeatures(d, res.Markers, c.Start, c.End, nil)}
			for k, t := range it.Topics {
				if it.At[k] >= start && it.At[k] < end && !containsInt(u.topics, class[t]) {
					u.topics = append(u.topics, class[t])
				}
			}
			out = append(out, u)
		}
	}
	return out
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// trainTopics fits the shipped topic model of a language on every source
// that may ship, and measures it by leave-one-corpus-out: each shippable
// source is scored by a model fitted on the others, each research source by
// the shipped model. Figures are per-topic precision, recall and F1 at
// probability 0.5, and the macro-F1 over the topics a source labels.
func trainTopics(cfg Config, lang string, seg *segment.Segmenter, scorer *sentiment.Scorer, rep *Report) (*models.Linear, error) {
	items, err := load(aspectSources, cfg.Datasets, lang)
	if err != nil {
		return nil, err
	}
	units := topicUnits(items, seg, scorer)
	var names []string
	seen := map[string]bool{}
	for _, u := range units {
		if !seen[u.source] {
			seen[u.source] = true
			names = append(names, u.source)
		}
	}
	fit := func(without string) (*models.Linear, error) {
		var fitSet, calib []models.Example
		for _, u := range units {
			if u.source == without || sourceNamed(aspectSources, u.source).research {
				continue
			}
			dst := &fitSet
			if bucket(u.text+"\x00calibration", 20) == 0 {
				dst = &calib
			}
			if len(u.topics) == 0 {
				*dst = append(*dst, models.Example{Features: u.feats, Class: 0})
			}
			for _, c := range u.topics {
				*dst = append(*dst, models.Example{Features: u.feats, Class: c})
			}
		}
		h := models.Header{Name: "topics-" + lang, Version: cfg.Version, Classes: TopicClasses,
			Buckets: cfg.Buckets[lang] / 4, Features: sentiment.FeatureSet}
		m, err := models.Fit(h, fitSet, cfg.Fit)
		if err != nil || len(calib) == 0 { // a corpus too small to hold a calibration twentieth keeps temperature 1
			return m, err
		}
		return m, models.Calibrate(m, calib)
	}
	shipped, err := fit("")
	if err != nil {
		return nil, err
	}
	prefix := lang + ".topics.loco."
	sum := 0.0
	for _, name := range names {
		m := shipped
		if !sourceNamed(aspectSources, name).research {
			if m, err = fit(name); err != nil {
				return nil, err
			}
		}
		var test []unit
		for _, u := range units {
			if u.source == name {
				test = append(test, u)
			}
		}
		f1 := scoreTopics(m, test, prefix+name+".", rep.Figures)
		sum += f1
		fmt.Fprintf(cfg.Log, "  %s%-24s n=%-6d macro_f1=%.3f\n", prefix, name, len(test), f1)
	}
	rep.Figures[prefix+"mean_macro_f1"] = sum / float64(max(len(names), 1))
	shipped.Metrics = rep.subset(lang + ".topics.")
	return shipped, nil
}

// scoreTopics records the per-topic figures of m on the units under prefix
// and returns the macro-F1 over the topics the units label.
func scoreTopics(m *models.Linear, test []unit, prefix string, fig map[string]float64) float64 {
	fig[prefix+"n"] = float64(len(test))
	macro, labelled := 0.0, 0
	for c := 1; c < len(TopicClasses); c++ {
		tp, fp, fn := 0, 0, 0
		for _, u := range test {
			p := m.Predict(u.feats, nil)
			pred, gold := p[c] >= topicThreshold, containsInt(u.topics, c)
			switch {
			case pred && gold:
				tp++
			case pred:
				fp++
			case gold:
				fn++
			}
		}
		if tp+fn == 0 {
			continue
		}
		f1 := 2 * float64(tp) / float64(2*tp+fp+fn)
		key := prefix + TopicClasses[c] + "."
		fig[key+"f1"] = f1
		fig[key+"precision"] = float64(tp) / float64(max(tp+fp, 1))
		fig[key+"recall"] = float64(tp) / float64(tp+fn)
		macro += f1
		labelled++
	}
	macro /= float64(max(labelled, 1))
	fig[prefix+"macro_f1"] = macro
	return macro
}
