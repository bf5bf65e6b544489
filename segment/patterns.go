package segment

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"sort"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

// PatternSet runs many RE2 patterns over documents. Each pattern runs only
// when the literals it cannot match without are present, found for all
// patterns in one Aho-Corasick pass (the prefilter idea of RE2 and
// Hyperscan); most reviews trigger none. Safe for concurrent use.
type PatternSet struct {
	res       []*regexp.Regexp
	needs     [][][]int // per pattern: groups of literal ids, one of each group must occur
	ac        ahocorasick.AhoCorasick
	nlits     int
	byLit     [][]int // literal id -> patterns needing it
	alwaysIDs []int   // patterns without a literal to wait for
}

// PatternMatch is a match of pattern ID over normalized rune offsets.
type PatternMatch struct {
	ID         int
	Start, End int
}

// NewPatternSet compiles patterns (RE2 syntax, over normalized text).
func NewPatternSet(patterns []string) (*PatternSet, error) {
	ps := &PatternSet{}
	litID := map[string]int{}
	var lits []string
	for _, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", p, err)
		}
		tree, err := syntax.Parse(p, syntax.Perl)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", p, err)
		}
		var groups [][]int
		for _, set := range required(tree.Simplify()) {
			if !selective(set) {
				continue
			}
			var g []int
			for _, l := range set {
				id, ok := litID[l]
				if !ok {
					id = len(lits)
					litID[l] = id
					lits = append(lits, l)
				}
				g = append(g, id)
			}
			groups = append(groups, g)
		}
		ps.res = append(ps.res, re)
		ps.needs = append(ps.needs, groups)
		if len(groups) == 0 {
			ps.alwaysIDs = append(ps.alwaysIDs, len(ps.res)-1)
		}
	}
	ps.byLit = make([][]int, len(lits))
	for i, groups := range ps.needs {
		for _, g := range groups {
			for _, id := range g {
				if n := len(ps.byLit[id]); n == 0 || ps.byLit[id][n-1] != i {
					ps.byLit[id] = append(ps.byLit[id], i)
				}
			}
		}
	}
	b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{MatchKind: ahocorasick.StandardMatch, DFA: true})
	ps.ac = b.Build(lits)
	ps.nlits = len(lits)
	return ps, nil
}

// Find returns the matches of every pattern in d, pattern by pattern.
// Patterns run clause by clause, each only on the clauses holding its
// literals, so a long text costs about as much as its clauses would alone.
func (ps *PatternSet) Find(d *Doc) []PatternMatch {
	if len(ps.res) == 0 || d.normStr == "" || len(d.Clauses) == 0 {
		return nil
	}
	// literal occurrences, grouped by clause
	byClause := map[int][]int{}
	if ps.nlits > 0 {
		it := ps.ac.IterOverlappingByte(d.normBytes)
		for m := it.Next(); m != nil; m = it.Next() {
			if c := d.ClauseOf(d.RuneIndex(m.Start())); c >= 0 {
				byClause[c] = append(byClause[c], m.Pattern())
			}
		}
	}
	var out []PatternMatch
	present := make([]bool, ps.nlits)
	seen := make([]int, len(ps.res)) // clause index + 1 when a pattern was considered there
	var candidates []int
	for ci, c := range d.Clauses {
		lits := byClause[ci]
		candidates = candidates[:0]
		for _, id := range lits {
			present[id] = true
			for _, p := range ps.byLit[id] {
				if seen[p] != ci+1 {
					seen[p] = ci + 1
					candidates = append(candidates, p)
				}
			}
		}
		from, to := int(d.runeToByte[c.Start]), int(d.runeToByte[c.End])
		text := d.normStr[from:to]
		run := func(i int) {
			for _, loc := range ps.res[i].FindAllStringIndex(text, -1) {
				if loc[1] > loc[0] {
					out = append(out, PatternMatch{ID: i, Start: d.RuneIndex(from + loc[0]), End: d.RuneIndex(from + loc[1])})
				}
			}
		}
		for _, i := range candidates {
			if satisfied(ps.needs[i], present) {
				run(i)
			}
		}
		for _, i := range ps.alwaysIDs {
			run(i)
		}
		for _, id := range lits {
			present[id] = false
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out
}

func satisfied(groups [][]int, present []bool) bool {
	for _, g := range groups {
		ok := false
		for _, id := range g {
			if present[id] {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// selective reports whether a literal group filters anything: a group with a
// one-byte literal (a letter, a digit) is present in almost every text.
func selective(set []string) bool {
	for _, l := range set {
		if len(l) < 2 {
			return false
		}
	}
	return true
}

// maxClass is the largest character class expanded into literals.
const maxClass = 8

// required returns groups of literals such that every match of re contains
// at least one literal of each group; nil when nothing is known.
func required(re *syntax.Regexp) [][]string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil
		}
		return [][]string{{string(re.Rune)}}
	case syntax.OpCharClass:
		var set []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(set) == maxClass {
					return nil
				}
				set = append(set, string(r))
			}
		}
		return [][]string{set}
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		var out [][]string
		for _, sub := range re.Sub {
			out = append(out, required(sub)...)
		}
		return out
	case syntax.OpAlternate:
		var union []string
		for _, sub := range re.Sub {
			groups := required(sub)
			if len(groups) == 0 {
				return nil
			}
			union = append(union, best(groups)...)
		}
		return [][]string{union}
	}
	return nil
}

// best picks the most selective group: the longest shortest literal, then the
// fewest alternatives.
func best(groups [][]string) []string {
	var pick []string
	score := func(g []string) (int, int) {
		min := 1 << 30
		for _, l := range g {
			if len(l) < min {
				min = len(l)
			}
		}
		return min, -len(g)
	}
	for _, g := range groups {
		if pick == nil {
			pick = g
			continue
		}
		a1, a2 := score(g)
		b1, b2 := score(pick)
		if a1 > b1 || (a1 == b1 && a2 > b2) {
			pick = g
		}
	}
	return pick
}
