package llm

import (
	"slices"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/topics"
)

// SourceLLM marks what the LLM assist decided: sentiment.source, a topic
// mention's source, an evidence entry's or a risk hit's source.
const SourceLLM = "llm"

// merge applies a validated answer to the local analysis of text (runes of
// the original text) and returns the result, without mutating local, and
// whether anything changed. The LLM may:
//   - replace the document label when it differs (sentiment.source "llm",
//     its score, no confidence; the lexicon evidence stays, the LLM's quotes
//     are added with source "llm");
//   - change the polarity of a local topic mention whose span its evidence
//     overlaps (the mention keeps its clause, gets source "llm");
//   - add a mention of a topic where no local mention of that topic overlaps
//     its evidence (the quote's span, source "llm");
//   - raise, never lower, the risk level, adding a hit on its evidence.
//
// It never removes a local mention or hit.
func merge(local pipeline.Analysis, v *validTag, text []rune) (pipeline.Analysis, bool) {
	out := local
	changed := false
	slice := func(s span) string { return string(text[s.start:s.end]) }

	if v.sentiment != local.Sentiment.Label {
		changed = true
		ev := slices.Clone(local.Sentiment.Evidence)
		for _, s := range v.evidence {
			if !slices.ContainsFunc(ev, func(e pipeline.Evidence) bool { return e.Start == s.start && e.End == s.end }) {
				ev = append(ev, pipeline.Evidence{Text: slice(s), Term: slice(s), Start: s.start, End: s.end, Source: SourceLLM})
			}
		}
		slices.SortStableFunc(ev, func(a, b pipeline.Evidence) int { return a.Start - b.Start })
		out.Sentiment = pipeline.SentimentOut{Label: v.sentiment, Score: v.score, Source: SourceLLM, Evidence: ev}
	}

	ments := slices.Clone(local.Topics)
	touched := make([]bool, len(ments)) // a local mention the LLM already changed or confirmed
	for _, t := range v.topics {
		i := slices.IndexFunc(ments, func(m topics.Mention) bool {
			return m.Topic == t.topic && m.Start < t.end && t.start < m.End
		})
		switch {
		case i >= 0 && i < len(touched) && !touched[i]:
			touched[i] = true
			if ments[i].Sentiment != t.sentiment {
				ments[i].Sentiment, ments[i].Score, ments[i].Source = t.sentiment, t.score, SourceLLM
				changed = true
			}
		case i < 0:
			ments = append(ments, topics.Mention{Topic: t.topic, Sentiment: t.sentiment, Score: t.score,
				Evidence: slice(t.span), Start: t.start, End: t.end, Source: SourceLLM})
			changed = true
		}
	}
	slices.SortStableFunc(ments, func(a, b topics.Mention) int { return a.Start - b.Start })
	out.Topics = ments

	if lexicons.LevelRank(v.risk) > lexicons.LevelRank(local.Risk.Level) {
		hits := append(slices.Clone(local.Risk.Hits), topics.RiskHit{Term: slice(v.riskSpan), Category: v.category,
			Level: v.risk, Start: v.riskSpan.start, End: v.riskSpan.end, Source: SourceLLM})
		slices.SortStableFunc(hits, func(a, b topics.RiskHit) int { return a.Start - b.Start })
		out.Risk = topics.Risk{Level: v.risk, Hits: hits}
		changed = true
	}
	return out, changed
}
