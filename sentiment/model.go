package sentiment

import (
	"fmt"
	"sync"

	"github.com/vocal-dev/vocal/models"
	"github.com/vocal-dev/vocal/segment"
)

// Sources of a document label.
const (
	SourceLexicon = "lexicon"
	SourceModel   = "model"
)

// WithModels scores documents with a trained model per language ("zh" also
// serves mixed text; "und" text has no model) combined with the lexicons, as
// Score documents. Nil or missing languages stay lexicon-only.
func WithModels(set *models.Set) Option {
	return func(s *Scorer) {
		if set == nil {
			return
		}
		s.modelsVersion = set.Version()
		s.models = map[string]*models.Linear{}
		for lang, m := range set.Sentiment {
			s.models[lang] = m
		}
		if m := set.Sentiment["zh"]; m != nil {
			s.models[segment.LangMixed] = m
		}
	}
}

// ModelsVersion names the models in use, "none" when lexicon-only.
func (s *Scorer) ModelsVersion() string {
	if s.modelsVersion == "" {
		return "none"
	}
	return s.modelsVersion
}

// WithUnsure sets the model confidence below which a document the lexicons
// find neutral stays neutral (default 0.7).
func WithUnsure(p float64) Option { return func(s *Scorer) { s.unsure = p } }

// CheckModels reports a model that was trained on other features than this
// package builds, or a sentiment model whose classes are not negative,
// neutral, positive.
func CheckModels(set *models.Set) error {
	for lang, m := range set.Topics {
		if m.Features != FeatureSet {
			return fmt.Errorf("model %s (%s): features %q, this vocal builds %q", m.Name, lang, m.Features, FeatureSet)
		}
	}
	for lang, m := range set.Sentiment {
		if m.Features != FeatureSet {
			return fmt.Errorf("model %s (%s): features %q, this vocal builds %q", m.Name, lang, m.Features, FeatureSet)
		}
		if m.Class(Negative) < 0 || m.Class(Neutral) < 0 || m.Class(Positive) < 0 {
			return fmt.Errorf("model %s (%s): classes %v, want negative, neutral, positive", m.Name, lang, m.Classes)
		}
	}
	return nil
}

var featurePool = sync.Pool{New: func() any { s := make([]models.Feature, 0, 512); return &s }}

// combine lets the model refine the lexicon label when a model serves the
// document's language. The rule:
//   - whether there is an opinion at all is the lexicons' call: a document
//     they find neutral (no term fired, or a score inside the neutral band)
//     stays neutral. The zh corpora have almost no neutral examples, so the
//     model calls factual remarks polar;
//   - a polar document takes the model's most probable class when it agrees
//     with the lexicons or when the model is sure (confidence >= the unsure
//     threshold), with the score P(positive) - P(negative); otherwise the
//     lexicons' label and score stand;
//   - Confidence is the model's calibrated probability of the final label
//     when they agree, else 1 - the probability of the model's own label.
//
// Hits, clause scores and markers stay the lexicon's: they are the evidence
// and drive aspect polarity.
func (s *Scorer) combine(d *segment.Doc, res *Result) {
	res.Source = SourceLexicon
	res.Lexical.Label, res.Lexical.Score = res.Label, res.Score
	m := s.models[d.Lang]
	if m == nil {
		return
	}
	buf := featurePool.Get().(*[]models.Feature)
	*buf = Features(d, *res, (*buf)[:0])
	var probs [8]float64
	p := m.Predict(*buf, probs[:0])
	featurePool.Put(buf)
	prob := func(label string) float64 { return p[m.Class(label)] }
	label := Negative
	for _, l := range []string{Neutral, Positive} {
		if prob(l) > prob(label) {
			label = l
		}
	}
	res.Source = SourceModel
	if res.Label != Neutral && (label == res.Label || prob(label) >= s.unsure) {
		res.Label, res.Score = label, Round(prob(Positive)-prob(Negative))
	}
	if res.Label == label {
		res.Confidence = Round(prob(label))
	} else {
		res.Confidence = Round(1 - prob(label))
	}
}
