package segment

import (
	"strings"
	"unicode"
)

// isBoundary reports whether normalized rune r ends a clause.
func isBoundary(rs []rune, i int) bool {
	switch rs[i] {
	case ',', '!', '?', ';', '~', '\n', '。', '…', '|':
		return true
	case '.':
		// 10.5 and v2.1 are numbers, not clause ends.
		return !(i > 0 && i+1 < len(rs) && unicode.IsDigit(rs[i-1]) && unicode.IsDigit(rs[i+1]))
	case ' ', '\t':
		// a space between two Han characters separates clauses in Chinese reviews
		return i > 0 && unicode.Is(unicode.Han, rs[i-1]) && nextNonSpaceIsHan(rs, i)
	}
	return false
}

func nextNonSpaceIsHan(rs []rune, i int) bool {
	for ; i < len(rs); i++ {
		if !unicode.IsSpace(rs[i]) {
			return unicode.Is(unicode.Han, rs[i])
		}
	}
	return false
}

// clauses splits the normalized text at punctuation, then before connectives.
func (d *Doc) clauses(s *Segmenter) {
	rs := d.Norm.Runes
	var spans []Clause
	start := 0
	for i := 0; i < len(rs); {
		if !isBoundary(rs, i) {
			i++
			continue
		}
		j, question := i, false
		for j < len(rs) && (isBoundary(rs, j) || unicode.IsSpace(rs[j])) {
			question = question || rs[j] == '?'
			j++
		}
		if hasContent(rs[start:i]) {
			spans = append(spans, Clause{Start: start, End: j, Question: question || askedWithParticle(rs[start:i])})
		} else if len(spans) > 0 {
			spans[len(spans)-1].End = j
			spans[len(spans)-1].Question = spans[len(spans)-1].Question || question
		}
		start, i = j, j
	}
	if start < len(rs) && hasContent(rs[start:]) {
		spans = append(spans, Clause{Start: start, End: len(rs), Question: askedWithParticle(rs[start:])})
	} else if len(spans) > 0 {
		spans[len(spans)-1].End = len(rs)
	}
	d.Clauses = d.splitConnectives(s, spans)
}

// askedWithParticle reports whether a clause ends in the question particle 吗
// before any closing spaces, punctuation or symbols (能用在电磁炉上吗。).
func askedWithParticle(rs []rune) bool {
	for k := len(rs) - 1; k >= 0; k-- {
		if r := rs[k]; !unicode.IsSpace(r) && !unicode.IsPunct(r) && !unicode.IsSymbol(r) {
			return r == '吗'
		}
	}
	return false
}

func hasContent(rs []rune) bool {
	for _, r := range rs {
		if !unicode.IsSpace(r) && !unicode.IsPunct(r) {
			return true
		}
	}
	return false
}

func (d *Doc) splitConnectives(s *Segmenter, spans []Clause) []Clause {
	matches := s.connectives.Find(d)
	if len(matches) == 0 {
		return spans
	}
	out := make([]Clause, 0, len(spans)+len(matches))
	m := 0
	for _, c := range spans {
		for m < len(matches) && matches[m].Start < c.Start {
			m++
		}
		for ; m < len(matches) && matches[m].End <= c.End; m++ {
			mt := matches[m]
			term := string(d.Norm.Runes[mt.Start:mt.End])
			if !hasContent(d.Norm.Runes[c.Start:mt.Start]) {
				c.Lead = term
				continue
			}
			if s.leadOnly[term] || (term == "但" && mt.Start > 0 && d.Norm.Runes[mt.Start-1] == '不') {
				continue
			}
			out = append(out, Clause{Start: c.Start, End: mt.Start, Lead: c.Lead})
			c = Clause{Start: mt.Start, End: c.End, Lead: term, Question: c.Question}
		}
		out = append(out, c)
	}
	return d.mergeBareConnectives(out)
}

// mergeBareConnectives folds a clause holding only its connective (但是，物流
// 太慢了; However, the battery...) into the next clause, which it leads.
func (d *Doc) mergeBareConnectives(cs []Clause) []Clause {
	out := cs[:0]
	for i := 0; i < len(cs); i++ {
		c := cs[i]
		if c.Lead != "" && i+1 < len(cs) && cs[i+1].Lead == "" &&
			!hasContent(d.Norm.Runes[d.Skip(c.Start, c.Lead):c.End]) {
			cs[i+1].Start, cs[i+1].Lead = c.Start, c.Lead
			continue
		}
		out = append(out, c)
	}
	return out
}

// detectLang decides the language from Han characters and Latin words: each
// Latin word counts as two Han characters; a script with under a fifth of the
// weight is ignored, and mixed text needs at least two Latin words.
func detectLang(d *Doc) string {
	han, latin, words := 0, 0, 0
	for _, t := range d.Tokens {
		if t.Kind != Word {
			continue
		}
		if strings.ContainsAny(t.Text, "0123456789") {
			continue // model numbers (5G, A4L, iPhone 15) carry no language
		}
		for _, r := range t.Text {
			if unicode.Is(unicode.Han, r) {
				han++
			} else if r < 0x80 && unicode.IsLetter(r) {
				latin += 2
				words++
				break
			}
		}
	}
	switch total := han + latin; {
	case total == 0:
		return LangUnd
	case han*5 < total:
		return LangEn
	case latin*5 < total || words < 2:
		return LangZh // a lone brand name (iPhone发热) does not make text mixed
	}
	return LangMixed
}
