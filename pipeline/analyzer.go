package pipeline

import (
	"fmt"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/models"
	"github.com/vocal-dev/vocal/segment"
	"github.com/vocal-dev/vocal/sentiment"
	"github.com/vocal-dev/vocal/topics"
)

// Analysis is the tagging result of one text (the output record minus id,
// text and passthrough fields).
type Analysis struct {
	Lang      string           `json:"lang"`
	Sentiment SentimentOut     `json:"sentiment"`
	Topics    []topics.Mention `json:"topics"`
	Risk      topics.Risk      `json:"risk"`
}

// SentimentOut is the document sentiment with the terms that fired.
type SentimentOut struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
	// Confidence is the calibrated probability of Label, present when a model
	// scored the text (Source "model"); lexicon-only results omit it.
	Confidence float64    `json:"confidence,omitempty"`
	Source     string     `json:"source,omitempty"`
	Evidence   []Evidence `json:"evidence"`
}

// Evidence is one sentiment term that fired: the original text of its span,
// the lexicon term, its contribution after modifiers, and rune offsets.
type Evidence struct {
	Text  string  `json:"text"`
	Term  string  `json:"term"`
	Value float64 `json:"value"`
	Start int     `json:"start"`
	End   int     `json:"end"`
	// Source is "llm" for a quote the LLM assist gave (value 0); empty for
	// lexicon terms.
	Source string `json:"source,omitempty"`
}

// Analyzer is the tag stage: segment, sentiment, topics and risk. It is pure
// and safe for concurrent use; build one per process (the gse dictionary is
// large).
type Analyzer struct {
	Lexicons *lexicons.Set
	seg      *segment.Segmenter
	scorer   *sentiment.Scorer
	topics   *topics.Tagger
	risk     *topics.RiskTagger
}

// DefaultTopicMinProb is the topic model probability at which a clause
// without a cue gets a mention.
const DefaultTopicMinProb = 0.5

// NewAnalyzer builds the tag stage from a lexicon set, lexicons only; opts
// tune the sentiment scorer.
func NewAnalyzer(set *lexicons.Set, opts ...sentiment.Option) (*Analyzer, error) {
	return NewAnalyzerWithModels(set, nil, 0, opts...)
}

// NewAnalyzerWithModels builds the tag stage with trained models: document
// sentiment per language combined with the lexicons, and topic mentions the
// topic model gives at least topicMinProb in clauses no cue matched. A nil
// ms is lexicons only.
func NewAnalyzerWithModels(set *lexicons.Set, ms *models.Set, topicMinProb float64, opts ...sentiment.Option) (*Analyzer, error) {
	seg, err := segment.Shared(segment.ConfigFor(set))
	if err != nil {
		return nil, err
	}
	if ms != nil {
		if err := sentiment.CheckModels(ms); err != nil {
			return nil, err
		}
		opts = append(opts, sentiment.WithModels(ms))
	}
	scorer := sentiment.New(seg, set, opts...)
	tt, err := topics.New(seg, scorer, set.Taxonomy, topics.WithModels(ms, topicMinProb))
	if err != nil {
		return nil, fmt.Errorf("taxonomy: %w", err)
	}
	rt, err := topics.NewRisk(seg, set.Risk)
	if err != nil {
		return nil, err
	}
	return &Analyzer{Lexicons: set, seg: seg, scorer: scorer, topics: tt, risk: rt}, nil
}

// riskOnlyScore is the document score of a text whose only evidence is a
// risk hit, by level.
var riskOnlyScore = map[string]float64{lexicons.LevelMedium: 0.3, lexicons.LevelHigh: 0.4, lexicons.LevelCritical: 0.5}

// ModelsVersion names the trained models in use, "none" when lexicon-only.
func (a *Analyzer) ModelsVersion() string { return a.scorer.ModelsVersion() }

// TopicKeys lists the taxonomy's topic keys.
func (a *Analyzer) TopicKeys() []string { return a.topics.Keys() }

// Analyze tags one text.
func (a *Analyzer) Analyze(text string) Analysis {
	doc := a.seg.Segment(text)
	sent := a.scorer.Score(doc)
	risk := a.risk.Tag(doc, sent)
	if len(sent.Hits) == 0 && risk.Level != lexicons.LevelNone && sent.Label != sentiment.Negative && !sent.Enquiry {
		// A reported incident or threat with no sentiment word (孩子差点吞下去,
		// caught fire last night) is still a complaint, unless the text only
		// asks or requests (please forward my file to my lawyer).
		sent.Score = -riskOnlyScore[risk.Level]
		sent.Label = sentiment.Negative
		sent.Source, sent.Confidence = sentiment.SourceLexicon, 0
		sent.Lexical.Label, sent.Lexical.Score = sent.Label, sent.Score
	}
	out := Analysis{
		Lang: doc.Lang,
		Sentiment: SentimentOut{Label: sent.Label, Score: sent.Score, Confidence: sent.Confidence, Source: sent.Source,
			Evidence: make([]Evidence, 0, len(sent.Hits))},
		Topics: a.topics.Tag(doc, sent, risk),
		Risk:   risk,
	}
	for _, h := range sent.Hits {
		out.Sentiment.Evidence = append(out.Sentiment.Evidence, Evidence{Text: doc.Slice(h.Start, h.End), Term: h.Term,
			Value: sentiment.Round(h.Value), Start: h.Start, End: h.End})
	}
	return out
}

// Process implements the tag stage for the runner: it fills r.Out unless the
// record was already rejected.
func (a *Analyzer) Process(r *Record) {
	if r.Err != nil {
		return
	}
	out := a.Analyze(r.Text)
	r.Out = &out
}
