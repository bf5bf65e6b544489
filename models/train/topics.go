package train

import (
	"fmt"
	"path/filepath"

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
	text   string
	feats  []models.Feature
	topics []int // indexes into TopicClasses, empty for none
}

func loadAspects(dir, lang string) ([]AspectItem, error) {
	if lang == "zh" {
		return ZhijiangAspects(filepath.Join(dir, "zhijiang2019"))
	}
	var all []AspectItem
	for _, f := range [][2]string{
		{"Restaurants_Train.xml", "semeval14-restaurants"},
		{"ABSA16_Restaurants_Train_SB1_v2.xml", "semeval16-restaurants"},
		{"ABSA16_Laptops_Train_SB1_v2.xml", "semeval16-laptops"},
		{"MAMS_ACSA_train.xml", "mams"},
	} {
		items, err := SemEvalAspects(filepath.Join(dir, "semeval", f[0]), f[1])
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
	}
	return all, nil
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
			u := unit{text: it.Text, feats: sentiment.NgramFeatures(d, res.Markers, 0, len(d.Norm.Runes), nil)}
			for _, t := range it.Topics {
				u.topics = append(u.topics, class[t])
			}
			out = append(out, u)
			continue
		}
		for _, c := range d.Clauses {
			start, end := d.Span(c.Start, c.End)
			u := unit{text: it.Text + "\x00" + d.Slice(start, end),
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

// trainTopics fits the topic model of a language on 9/10 of its units and
// scores per-topic precision, recall and F1 on the held-out tenth.
func trainTopics(cfg Config, lang string, seg *segment.Segmenter, scorer *sentiment.Scorer, rep *Report) (*models.Linear, error) {
	items, err := loadAspects(cfg.Datasets, lang)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	units := topicUnits(items, seg, scorer)
	var fitSet, calib []models.Example
	var test []unit
	for _, u := range units {
		if bucket(u.text, 10) == 0 {
			test = append(test, u)
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
	if err != nil {
		return nil, err
	}
	if err := models.Calibrate(m, calib); err != nil {
		return nil, err
	}
	prefix := lang + ".topics_test."
	rep.Figures[prefix+"n"] = float64(len(test))
	macro := 0.0
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
		f1 := 0.0
		if tp > 0 {
			f1 = 2 * float64(tp) / float64(2*tp+fp+fn)
		}
		rep.Figures[prefix+TopicClasses[c]+".f1"] = f1
		rep.Figures[prefix+TopicClasses[c]+".precision"] = float64(tp) / float64(max(tp+fp, 1))
		rep.Figures[prefix+TopicClasses[c]+".recall"] = float64(tp) / float64(max(tp+fn, 1))
		macro += f1 / float64(len(TopicClasses)-1)
		fmt.Fprintf(cfg.Log, "  %s%-18s tp=%-4d fp=%-4d fn=%-4d f1=%.3f\n", prefix, TopicClasses[c], tp, fp, fn, f1)
	}
	rep.Figures[prefix+"macro_f1"] = macro
	m.Metrics = rep.subset(prefix)
	return m, nil
}
