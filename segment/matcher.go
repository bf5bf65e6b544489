package segment

import (
	"strings"

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
// or end with an ASCII letter or digit match only at word boundaries; a term
// ending in '*' matches as a prefix (deliver* finds delivered). Safe for
// concurrent use.
type Matcher struct {
	ac    ahocorasick.AhoCorasick
	pats  []pattern
	empty bool
}

type pattern struct {
	id                 int
	wordStart, wordEnd bool
}

// NewMatcher builds a matcher for terms, normalized like text. When two terms
// normalize alike, the later one wins.
func (s *Segmenter) NewMatcher(terms []string) *Matcher {
	index := map[string]int{}
	var keys []string
	var pats []pattern
	for id, raw := range terms {
		prefix := len(raw) > 1 && strings.HasSuffix(raw, "*")
		term := s.Normalize(strings.TrimSuffix(raw, "*"))
		if strings.TrimSpace(term) == "" {
			continue
		}
		first, last := rune(term[0]), rune(term[len(term)-1])
		p := pattern{id: id, wordStart: isASCIIAlnum(first), wordEnd: isASCIIAlnum(last) && !prefix}
		if k, ok := index[term]; ok {
			pats[k] = p
			continue
		}
		index[term] = len(keys)
		keys = append(keys, term)
		pats = append(pats, p)
	}
	b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{MatchKind: ahocorasick.LeftMostLongestMatch, DFA: true})
	return &Matcher{ac: b.Build(keys), pats: pats, empty: len(keys) == 0}
}

func isASCIIAlnum(r rune) bool {
	return r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}

// Find returns the matches in d in text order.
func (m *Matcher) Find(d *Doc) []Match {
	if m.empty || len(d.normStr) == 0 {
		return nil
	}
	var out []Match
	rs := d.Norm.Runes
	it := m.ac.Iter(d.normStr)
	for next := it.Next(); next != nil; next = it.Next() {
		p := m.pats[next.Pattern()]
		start, end := d.RuneIndex(next.Start()), d.RuneIndex(next.End())
		if p.wordStart && start > 0 && isASCIIAlnum(rs[start-1]) {
			continue
		}
		if p.wordEnd && end < len(rs) && isASCIIAlnum(rs[end]) {
			continue
		}
		out = append(out, Match{ID: p.id, Start: start, End: end})
	}
	return out
}
