package segment

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// SearchToken is one term for a search index. Text is the normalized term;
// Start and End are byte offsets into the original text (end exclusive), for
// highlighting. Position counts words from 1; a gse sub-word (物流 inside
// 物流公司) shares the position of the word it is part of, so phrase queries
// analysed the same way still line up. Han marks terms of Han script and
// Kind is Word, Number or Emoji.
type SearchToken struct {
	Text       string
	Start, End int
	Position   int
	Kind       Kind
	Han        bool
}

// SearchTokens cuts text for indexing in gse's search mode: Han runs are cut
// with the segmenter's dictionary, and every two- and three-character
// dictionary word inside a longer word is added as a sub-word, so that 快递
// finds 快递员; single characters only when the dictionary tags them as
// adjectives, so that 慢 finds 太慢了 and 贵 finds 偏贵. Other characters of a
// word (物 and 流 of 物流) are not searched alone; as sub-words they made a
// third of the terms and about 15% of the indexing CPU (a one-character
// query also matches the words it starts, see package index). Other runs
// split into words of letters, digits and marks (an apostrophe between
// letters stays inside: don't); emoji are single tokens; spaces, punctuation
// and HTML markup are dropped. Terms are normalized as for matching
// (half-width, lower case, Simplified, folded repeats). It is much cheaper
// than Segment: no prose, no clauses, no language detection.
func (s *Segmenter) SearchTokens(text string) []SearchToken { return s.searchTokens(text, true) }

// QueryTokens cuts a query as SearchTokens cuts indexed text, without the
// sub-words: 物流 then finds the term 物流 only, not every text holding 物 or
// 流, and 慢 finds the sub-word 慢 of 太慢.
func (s *Segmenter) QueryTokens(text string) []SearchToken { return s.searchTokens(text, false) }

func (s *Segmenter) searchTokens(text string, subWords bool) []SearchToken {
	norm := normalize(text, s.simp)
	maskHTML(&norm)
	rs := norm.Runes
	// byteAt[i] is the byte offset of original rune i; ranging over a string
	// yields one step per invalid byte, as []rune does in normalize.
	byteAt := make([]int32, 0, len(text)+1)
	for b := range text {
		byteAt = append(byteAt, int32(b))
	}
	byteAt = append(byteAt, int32(len(text)))
	span := func(ns, ne int) (int, int) {
		return int(byteAt[norm.Pos[ns]]), int(byteAt[norm.PosEnd[ne-1]])
	}

	out := make([]SearchToken, 0, len(rs)/2+1)
	pos := 0
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.Is(unicode.Han, r):
			j := i + 1
			for j < len(rs) && unicode.Is(unicode.Han, rs[j]) {
				j++
			}
			out, pos = s.appendHan(out, pos, rs, i, j, subWords, span)
			i = j
		case wordRune(r):
			j := i + 1
			kind := Number
			if !unicode.IsDigit(r) {
				kind = Word
			}
			for j < len(rs) && (wordRune(rs[j]) && !unicode.Is(unicode.Han, rs[j]) ||
				rs[j] == '\'' && j+1 < len(rs) && unicode.IsLetter(rs[j+1]) && unicode.IsLetter(rs[j-1])) {
				if !unicode.IsDigit(rs[j]) && rs[j] != '\'' {
					kind = Word
				}
				j++
			}
			pos++
			a, b := span(i, j)
			out = append(out, SearchToken{Text: string(rs[i:j]), Start: a, End: b, Position: pos, Kind: kind})
			i = j
		case isEmoji(r):
			pos++
			a, b := span(i, i+1)
			out = append(out, SearchToken{Text: string(r), Start: a, End: b, Position: pos, Kind: Emoji})
			i++
		default:
			i++
		}
	}
	return out
}

// appendHan cuts the Han run rs[i:j] with gse and appends its words and, with
// subWords, their dictionary sub-words.
func (s *Segmenter) appendHan(out []SearchToken, pos int, rs []rune, i, j int, subWords bool, span func(ns, ne int) (int, int)) ([]SearchToken, int) {
	at := i
	var offs [16]int // byte offsets of a word's runes, for sub-words without copying
	for _, w := range s.gse.Cut(string(rs[i:j]), false) {
		n := utf8.RuneCountInString(w)
		pos++
		a, b := span(at, at+n)
		out = append(out, SearchToken{Text: w, Start: a, End: b, Position: pos, Kind: Word, Han: true})
		if subWords && n > 1 && n < len(offs) {
			k := 0
			for bi := range w {
				offs[k] = bi
				k++
			}
			offs[n] = len(w)
			for _, size := range [...]int{1, 2, 3} {
				for k := 0; k+size <= n && n > size; k++ {
					gram := w[offs[k]:offs[k+size]]
					if freq, tag, ok := s.gse.Find(gram); ok && freq > 0 && (size > 1 || strings.HasPrefix(tag, "a")) {
						a, b := span(at+k, at+k+size)
						out = append(out, SearchToken{Text: gram, Start: a, End: b, Position: pos, Kind: Word, Han: true})
					}
				}
			}
		}
		at += n
	}
	return out, pos
}

// wordRune reports a rune that belongs to a non-Han word: a letter, digit or
// combining mark.
func wordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}
