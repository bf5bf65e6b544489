// Package sentiment scores segmented text clause by clause with an authored
// lexicon: negation scope (不, 没, 不是很, not, never, no longer, double
// negation), degree words, contrast weighting (the clause after 但是 / but
// usually decides), concession (虽然, although), rhetorical questions
// (这也叫快递?), sarcasm quotes and emoji. Every term that fired is returned as
// evidence with its offsets.
//
//	sc := sentiment.New(seg, set)
//	res := sc.Score(seg.Segment("物流很快，但是客服态度太差了"))
//	fmt.Println(res.Label, res.Score) // negative -0.5...
//
// A Scorer is pure and safe for concurrent use.
package sentiment
