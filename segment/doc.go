// Package segment normalizes feedback text and splits it into tokens and
// clauses that keep rune offsets into the original text.
//
// Normalization folds full-width to half-width, lower-cases, maps Traditional
// to Simplified characters (for matching only), folds long character repeats
// (好好好好, soooo) and masks HTML, URLs and @mentions; emoji, emoticons and
// #hashtags# stay. Han runs are cut with gse, everything else with prose's
// tokenizer; model numbers (iPhone 15, 5G, A4L, 618) stay whole. Clauses end
// at punctuation and before contrast connectives (但是, 不过, but, however).
//
//	seg, err := segment.New(segment.Config{UserDict: set.UserDict, Connectives: []string{"但是", "but"}})
//	doc := seg.Segment("物流很快，但是客服态度太差了")
//	for _, c := range doc.Clauses { fmt.Println(doc.Evidence(c.Start, c.End)) }
//
// A Segmenter is safe for concurrent use after New.
package segment
