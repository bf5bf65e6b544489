package segment

import (
	"strings"
	"unicode/utf8"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

// Match is one lexicon term found in a Doc: ID is the index of the term in the
// list given to NewMatcher; Start and End are normalized rune offsets.
type Match struct {
	ID         int
	Start, End int
}

// Matcher finds many terms in one pass (Aho-Corasick, leftmost-longest, so a
// longer entry such as 快递 hides the shorter 快 inside it). Terms that begin
// or end with an ASCII letter or digit match only at word boundaries; a word
// stem ending in '*' matches as a prefix (deliver* finds delivered; the
// emoticon :* is literal). Safe for concurrent use.
type Matcher struct {
	ac    ahocorasick.AhoCorasick
	pats  []pattern
	empty bool
	align *alignment
	terms map[string]int // normalized term -> pattern index
}

// alignment holds the glue allowed around a Han match that does not fall on
// gse word boundaries.
type alignment struct {
	prefixes map[string]bool
	suffixes map[string]bool
	loose    bool // reject only matches straddling words at both ends
}

// MatcherOption tunes NewMatcher.
type MatcherOption func(*Matcher)

// AlignToWords makes Han matches respect word boundaries: a match that starts
// or ends inside a gse word is kept only when the rest of that word is glue (a
// listed prefix before it, 很 in 很好; a listed suffix after it, 了 in 好了)
// or another term of the matcher (很贵 is 很 + 贵). This keeps 服了 out of
// 客服了 and 小 out of 小时.
func AlignToWords(prefixes, suffixes []string) MatcherOption {
	return func(m *Matcher) {
		a := &alignment{prefixes: map[string]bool{}, suffixes: map[string]bool{}}
		for _, p := range prefixes {
			a.prefixes[p] = true
		}
		for _, s := range suffixes {
			a.suffixes[s] = true
		}
		m.align = a
	}
}

// AvoidStraddling drops Han matches that start inside one gse word and end
// inside another (物流 in 动物|流浪), keeping those aligned at either end
// (客服 in 人工客服).
func AvoidStraddling() MatcherOption {
	return func(m *Matcher) { m.align = &alignment{loose: true} }
}

type pattern struct {
	id                 int
	wordStart, wordEnd bool
}

// NewMatcher builds a matcher for terms, normalized like text. When two terms
// normalize alike, one already in normalized form wins over one that is not
// (好 over 好好好, which folds to 好); otherwise the later one wins.
func (s *Segmenter) NewMatcher(terms []string, opts ...MatcherOption) *Matcher {
	index := map[string]int{}
	canonical := map[string]bool{}
	var keys []string
	var pats []pattern
	for id, raw := range terms {
		prefix := isPrefixTerm(raw)
		if prefix {
			raw = raw[:len(raw)-1]
		}
		term := s.Normalize(raw)
		if strings.TrimSpace(term) == "" || utf8.RuneCountInString(term) < utf8.RuneCountInString(strings.TrimSpace(raw)) {
			// empty, or shortened by repeat folding (好好好 -> 好): text repeats
			// fold the same way and count as emphasis, so the entry would
			// only shadow the plain word.
			continue
		}
		first, last := rune(term[0]), rune(term[len(term)-1])
		p := pattern{id: id, wordStart: isASCIIAlnum(first), wordEnd: isASCIIAlnum(last) && !prefix}
		isCanon := strings.ToLower(strings.TrimSpace(raw)) == term
		if k, ok := index[term]; ok {
			if isCanon || !canonical[term] {
				pats[k] = p
				canonical[term] = canonical[term] || isCanon
			}
			continue
		}
		canonical[term] = isCanon
		index[term] = len(keys)
		keys = append(keys, term)
		pats = append(pats, p)
	}
	b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{MatchKind: ahocorasick.LeftMostLongestMatch, DFA: false})
	m := &Matcher{ac: b.Build(keys), pats: pats, empty: len(keys) == 0, terms: index}
	for _, o := range opts {
		o(m)
	}
	return m
}

// isPrefixTerm reports whether a term is a word stem: its only '*' ends it,
// right after a letter or digit (deliver*). Emoticons (:*, :-*) and *sigh*
// are literal.
func isPrefixTerm(raw string) bool {
	n := len(raw)
	return n > 1 && raw[n-1] == '*' && strings.Count(raw, "*") == 1 && isASCIIAlnum(rune(raw[n-2]))
}

func isASCIIAlnum(r rune) bool {
	return r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}

// Find returns the non-overlapping matches in d in text order.
func (m *Matcher) Find(d *Doc) []Match {
	if m.empty || len(d.normStr) == 0 {
		return nil
	}
	var out []Match
	rs := d.Norm.Runes
	// The library's iterator resumes one byte after each match's start, so it
	// would rescan every accepted match for the overlaps we drop: restart it
	// after each accepted match instead.
	offset := 0
	for offset < len(d.normBytes) {
		it := m.ac.IterByte(d.normBytes[offset:])
		taken := offset
		restart := false
		for next := it.Next(); next != nil; next = it.Next() {
			p := m.pats[next.Pattern()]
			bs, be := offset+next.Start(), offset+next.End()
			if bs < taken {
				continue
			}
			start, end := d.RuneIndex(bs), d.RuneIndex(be)
			switch {
			case p.wordStart && start > 0 && isASCIIAlnum(rs[start-1]):
			case p.wordEnd && end < len(rs) && isASCIIAlnum(rs[end]):
			case m.align != nil && !m.align.ok(m, d, start, end):
			default:
				out = append(out, Match{ID: p.id, Start: start, End: end})
				offset, restart = be, true
			}
			if restart {
				break
			}
		}
		if !restart {
			break
		}
	}
	return out
}

// ok reports whether the match [start, end) sits on word boundaries, up to glue.
func (a *alignment) ok(m *Matcher, d *Doc, start, end int) bool {
	startOK, endOK := true, true
	if ti := d.TokenIndex(start); ti >= 0 {
		t := d.Tokens[ti]
		if t.NStart < start && t.Kind == Word {
			rest := string(d.Norm.Runes[t.NStart:start])
			_, term := m.terms[rest]
			startOK = a.prefixes[rest] || term
		}
	}
	if ti := d.TokenIndex(end - 1); ti >= 0 {
		t := d.Tokens[ti]
		if t.NEnd > end && t.Kind == Word {
			rest := string(d.Norm.Runes[end:t.NEnd])
			_, term := m.terms[rest]
			endOK = a.suffixes[rest] || term
		}
	}
	if a.loose {
		return startOK || endOK
	}
	return startOK && endOK
}
