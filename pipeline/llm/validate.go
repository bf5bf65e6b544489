package llm

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/pipeline/redact"
	"github.com/vocal-dev/vocal/sentiment"
)

// span is a rune span [start, end) of the original text.
type span struct{ start, end int }

// validTag is an answer that passed validation, with every evidence quote
// located in the original text.
type validTag struct {
	sentiment string
	score     float64
	evidence  []span
	topics    []validTopic
	risk      string
	category  string
	riskSpan  span
}

type validTopic struct {
	topic, sentiment string
	score            float64
	span
}

// validate parses and checks an answer about the redacted text red: JSON,
// the schema's structure (fields and types), labels in the allowed sets, scores agreeing with labels, the schema, and
// every evidence quote found in the text the model saw; quotes are mapped
// back to rune offsets of the original text. Any failure rejects the whole
// answer with an *Error.
func (p *tagPrompt) validate(content string, red redact.Result) (*validTag, error) {
	content = stripFence(content)
	var raw any
	if err := json.Unmarshal([]byte(content), &raw); err != nil {
		return nil, errorf(ReasonInvalidJSON, "%v (answer %.120q)", err, content)
	}
	var a TagAnswer
	if err := p.loose.Unmarshal(content, &a); err != nil {
		return nil, errorf(ReasonSchema, "%v", err)
	}
	if !slices.Contains(sentimentLabels, a.Sentiment) {
		return nil, errorf(ReasonLabel, "sentiment %q: want positive, negative or neutral", a.Sentiment)
	}
	if !slices.Contains(riskLevels, a.Risk) {
		return nil, errorf(ReasonLabel, "risk %q: want none, medium, high or critical", a.Risk)
	}
	for _, t := range a.Topics {
		if !slices.Contains(p.keys, t.Topic) {
			return nil, errorf(ReasonLabel, "topic %q is not in the taxonomy (%s)", t.Topic, strings.Join(p.keys, ", "))
		}
		if !slices.Contains(sentimentLabels, t.Sentiment) {
			return nil, errorf(ReasonLabel, "topic %s: sentiment %q: want positive, negative or neutral", t.Topic, t.Sentiment)
		}
	}
	if a.Risk != lexicons.LevelNone && !slices.Contains(lexicons.RiskCategories, a.RiskCategory) {
		return nil, errorf(ReasonLabel, "risk %s: category %q: want one of %s", a.Risk, a.RiskCategory, strings.Join(lexicons.RiskCategories, ", "))
	}
	v := &validTag{sentiment: a.Sentiment, risk: a.Risk}
	var ok bool
	if v.score, ok = labelScore(a.Sentiment, a.Score); !ok {
		return nil, errorf(ReasonLabel, "score %v contradicts sentiment %s", a.Score, a.Sentiment)
	}
	text := foldRunes(red.Text)
	locate := func(what, quote string) (span, error) {
		s, e, found := find(text, quote)
		if !found {
			return span{}, errorf(ReasonEvidence, "%s: quote %q is not in the text", what, quote)
		}
		s, e = red.Original(s, e)
		return span{s, e}, nil
	}
	for _, q := range a.SentimentEvidence {
		if strings.TrimSpace(q) == "" {
			continue
		}
		sp, err := locate("sentiment evidence", q)
		if err != nil {
			return nil, err
		}
		v.evidence = append(v.evidence, sp)
	}
	for _, t := range a.Topics {
		score, ok := labelScore(t.Sentiment, t.Score)
		if !ok {
			return nil, errorf(ReasonLabel, "topic %s: score %v contradicts sentiment %s", t.Topic, t.Score, t.Sentiment)
		}
		sp, err := locate("topic "+t.Topic+" evidence", t.Evidence)
		if err != nil {
			return nil, err
		}
		v.topics = append(v.topics, validTopic{topic: t.Topic, sentiment: t.Sentiment, score: score, span: sp})
	}
	if a.Risk != lexicons.LevelNone {
		sp, err := locate("risk evidence", a.RiskEvidence)
		if err != nil {
			return nil, err
		}
		v.category, v.riskSpan = a.RiskCategory, sp
	}
	return v, nil
}

// labelScore checks a score against its label and rounds it: within [-1, 1]
// (clamped), of the label's sign; 0 for neutral; a polar label with a score
// of 0 gets ±0.5.
func labelScore(label string, score float64) (float64, bool) {
	score = max(-1, min(1, score))
	switch label {
	case sentiment.Neutral:
		return 0, true
	case sentiment.Positive:
		if score == 0 {
			score = 0.5
		}
		return sentiment.Round(score), score > 0
	default:
		if score == 0 {
			score = -0.5
		}
		return sentiment.Round(score), score < 0
	}
}

// stripFence removes a Markdown code fence some servers put around JSON.
func stripFence(s string) string {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "```") {
		return s
	}
	t = strings.TrimPrefix(t, "```")
	t = strings.TrimPrefix(t, "json")
	return strings.TrimSuffix(strings.TrimSpace(t), "```")
}

// foldRunes returns the runes of s folded for quote matching, one for one.
func foldRunes(s string) []rune {
	rs := []rune(s)
	for i, r := range rs {
		rs[i] = foldRune(r)
	}
	return rs
}

// foldRune maps full-width forms to ASCII, curly quotes to straight ones,
// and letters to lower case, so that a quote whose model changed width,
// quotes or case is still found.
func foldRune(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
	case r == 0x3000:
		r = ' '
	case r == '\u2018' || r == '\u2019':
		r = '\''
	case r == '\u201C' || r == '\u201D':
		r = '"'
	}
	return unicode.ToLower(r)
}

// quoteTrim is what a model may wrap a quote in.
const quoteTrim = " \t\r\n\"'`“”‘’「」『』"

// find locates quote in the folded text: the rune span of its first
// occurrence.
func find(text []rune, quote string) (int, int, bool) {
	q := foldRunes(strings.Trim(quote, quoteTrim))
	if len(q) == 0 || len(q) > len(text) {
		return 0, 0, false
	}
	for i := 0; i+len(q) <= len(text); i++ {
		if text[i] == q[0] && slices.Equal(text[i:i+len(q)], q) {
			return i, i + len(q), true
		}
	}
	return 0, 0, false
}
