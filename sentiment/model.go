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

// WithUnsure sets the model confidence below which the lexicons' label
// stands (see Decide). Without it each model's own setting applies: the
// value the leave-one-corpus-out protocol of vocal train chose for it.
func WithUnsure(p float64) Option { return func(s *Scorer) { s.unsure = &p } }

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

// Decide combines a document model's calibrated probabilities (negative,
// neutral, positive) with the lexicons' label. The rule, chosen by the
// leave-one-corpus-out protocol of vocal train (see the model card): the
// model's most probable class stands when its probability reaches unsure;
// below that, and for an enquiry (Result.Enquiry: a question or request
// without an attitude, which no training corpus labels), the lexicons'
// label stands, neutral included. It returns the label and who decided it
// (SourceModel or SourceLexicon).
func Decide(probs [3]float64, lexical string, enquiry bool, unsure float64) (label, source string) {
	best := 0
	for c := 1; c < 3; c++ {
		if probs[c] > probs[best] {
			best = c
		}
	}
	if !enquiry && probs[best] >= unsure {
		return Labels[best], SourceModel
	}
	return lexical, SourceLexicon
}

// Labels are the sentiment labels in model class order.
var Labels = [3]string{Negative, Neutral, Positive}

// combine applies Decide when a model serves the document's language. With
// the model's label the score is P(positive) - P(negative); with the
// lexicons' label their score stands. Confidence is the model's calibrated
// probability of the final label either way. Hits, clause scores and
// markers stay the lexicons': they are the evidence and drive aspect
// polarity.
func (s *Scorer) combine(d *segment.Doc, res *Result) {
	res.Source = SourceLexicon
	res.Lexical.Label, res.Lexical.Score = res.Label, res.Score
	m := s.models[d.Lang]
	if m == nil {
		return
	}
	buf := featurePool.Get().(*[]models.Feature)
	*buf = Features(d, *res, (*buf)[:0])
	var raw [8]float64
	p := m.Predict(*buf, raw[:0])
	featurePool.Put(buf)
	var probs [3]float64
	for c, l := range Labels {
		probs[c] = p[m.Class(l)]
	}
	unsure := m.Unsure
	if s.unsure != nil {
		unsure = *s.unsure
	}
	label, source := Decide(probs, res.Label, res.Enquiry, unsure)
	if source == SourceModel {
		res.Score = Round(probs[2] - probs[0])
	}
	res.Label, res.Source = label, source
	for c, l := range Labels {
		if l == label {
			res.Confidence = Round(probs[c])
		}
	}
}
