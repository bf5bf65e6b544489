// Package topics tags documents with topics from an editable taxonomy (price,
// function, service_attitude, logistics, ...) and with high-risk flags.
//
// Topic cues and risk terms are matched in one Aho-Corasick pass each; RE2
// patterns catch implicit mentions (等了半个月才到, took two weeks to arrive).
// Each mention takes its polarity from its own clause, with the evidence span.
// Risk terms that are negated (没有出现过起火, not a scam) or hypothetical
// (担心会泄露) do not fire; reported events (差点起火) do.
//
//	tt, err := topics.New(seg, scorer, set.Taxonomy)
//	rt, err := topics.NewRisk(seg, set.Risk)
//	doc := seg.Segment(text)
//	sent := scorer.Score(doc)
//	risk := rt.Tag(doc, sent)
//	mentions := tt.Tag(doc, sent, risk)
//
// Taggers are pure and safe for concurrent use.
package topics
