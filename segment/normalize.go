package segment

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
	"golang.org/x/text/width"
)

// Text is normalized text aligned with the original: normalized rune i covers
// the original runes [Pos[i], PosEnd[i]). Folded repeats cover their whole run
// and are marked Emph.
type Text struct {
	Runes  []rune
	Pos    []int32
	PosEnd []int32
	Emph   []bool
}

func (t *Text) add(r rune, start, end int, emph bool) {
	t.Runes = append(t.Runes, r)
	t.Pos = append(t.Pos, int32(start))
	t.PosEnd = append(t.PosEnd, int32(end))
	t.Emph = append(t.Emph, emph)
}

var (
	t2sOnce sync.Once
	t2s     map[rune]rune
	t2sErr  error
)

// loadT2S builds a character-level Traditional-to-Simplified map from OpenCC's
// t2s tables. Character level keeps offsets one to one.
func loadT2S() (map[rune]rune, error) {
	t2sOnce.Do(func() {
		cc, err := opencc.New("t2s")
		if err != nil {
			t2sErr = err
			return
		}
		var b strings.Builder
		for r := rune(0x3400); r <= 0x9FFF; r++ {
			b.WriteRune(r)
			b.WriteByte('\n')
		}
		out, err := cc.Convert(b.String())
		if err != nil {
			t2sErr = err
			return
		}
		in, conv := strings.Split(b.String(), "\n"), strings.Split(out, "\n")
		if len(in) != len(conv) {
			return // conversion changed line structure: go without the map rather than misalign
		}
		t2s = map[rune]rune{}
		for i := range in {
			if in[i] != conv[i] && utf8.RuneCountInString(conv[i]) == 1 {
				a, _ := utf8.DecodeRuneInString(in[i])
				s, _ := utf8.DecodeRuneInString(conv[i])
				t2s[a] = s
			}
		}
	})
	return t2s, t2sErr
}

// foldRune maps one rune to its matching form: half-width, lower case,
// Simplified, straight quotes; control characters become spaces. It returns 0
// for runes dropped from the normalized text (variation selectors, joiners).
func foldRune(r rune, simp map[rune]rune) rune {
	switch {
	case r == '\uFE0F' || r == '\uFE0E' || r == '\u200D' || r == '\u200B' || r == '\uFEFF':
		return 0
	case r == utf8.RuneError:
		return ' '
	case r == '\u201C' || r == '\u201D' || r == '\u300C' || r == '\u300D' || r == '\u300E' || r == '\u300F':
		return '"'
	case r == '\u2018' || r == '\u2019':
		return '\''
	case r == '\u3000':
		return ' '
	case r < 0x20 && r != '\n' || r == 0x7F || (r >= 0x80 && r < 0xA0):
		return ' '
	}
	if f := width.LookupRune(r).Folded(); f != 0 && f < 0x3000 {
		r = f
	}
	r = unicode.ToLower(r)
	if s, ok := simp[r]; ok {
		r = s
	}
	return r
}

// repeatKeep is how many runes of a run of 3 or more identical runes remain:
// one for Han (好好好好 -> 好), two for Latin letters (goooood -> good).
func repeatKeep(r rune) int {
	switch {
	case unicode.Is(unicode.Han, r):
		return 1
	case r < 0x80 && unicode.IsLetter(r):
		return 2
	}
	return 0
}

// literalRun reports a repeat that is not emphasis: www, and a whole
// upper-case three-letter word (BBB, AAA batteries).
func literalRun(orig []rune, i, j int) bool {
	if orig[i] == 'w' || orig[i] == 'W' {
		return true
	}
	if j-i != 3 || (i > 0 && unicode.IsLetter(orig[i-1])) || (j < len(orig) && unicode.IsLetter(orig[j])) {
		return false
	}
	for _, r := range orig[i:j] {
		if !unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

var (
	htmlRE = regexp.MustCompile(`<[a-zA-Z/!][^<>]{0,300}>|&(?:[a-zA-Z]{2,8}|#[0-9]{1,6});`)
)

// normalize folds s into its matching form; see Text.
func normalize(s string, simp map[rune]rune) Text {
	orig := []rune(s)
	t := Text{
		Runes:  make([]rune, 0, len(orig)),
		Pos:    make([]int32, 0, len(orig)),
		PosEnd: make([]int32, 0, len(orig)),
		Emph:   make([]bool, 0, len(orig)),
	}
	for i := 0; i < len(orig); {
		r := foldRune(orig[i], simp)
		if r == 0 {
			i++
			continue
		}
		j := i + 1
		for j < len(orig) && foldRune(orig[j], simp) == r {
			j++
		}
		keep := repeatKeep(r)
		if keep == 0 || j-i < 3 || literalRun(orig, i, j) {
			for k := i; k < j; k++ {
				t.add(r, k, k+1, false)
			}
		} else {
			for k := 0; k < keep-1; k++ {
				t.add(r, i+k, i+k+1, true)
			}
			t.add(r, i+keep-1, j, true)
		}
		i = j
	}
	return t
}

// maskHTML blanks HTML tags and entities so they never match lexicon terms.
func maskHTML(t *Text) {
	if !containsAny(t.Runes, '<', '&') {
		return
	}
	s := string(t.Runes)
	rc := runeCounter{s: s}
	for _, loc := range htmlRE.FindAllStringIndex(s, -1) {
		a, b := rc.at(loc[0]), rc.at(loc[1])
		for k := a; k < b; k++ {
			t.Runes[k] = ' '
		}
	}
}

func containsAny(rs []rune, targets ...rune) bool {
	for _, r := range rs {
		for _, x := range targets {
			if r == x {
				return true
			}
		}
	}
	return false
}

// NormalizeTerm folds a lexicon term the same way text is folded, so that
// Traditional, full-width or upper-case entries match.
func NormalizeTerm(s string, simp map[rune]rune) string {
	return string(normalize(strings.TrimSpace(s), simp).Runes)
}

// runeCounter converts ascending byte offsets of s to rune offsets in linear
// total time.
type runeCounter struct {
	s           string
	byteOff, rn int
}

func (c *runeCounter) at(b int) int {
	if b < c.byteOff {
		c.byteOff, c.rn = 0, 0
	}
	c.rn += utf8.RuneCountInString(c.s[c.byteOff:b])
	c.byteOff = b
	return c.rn
}
