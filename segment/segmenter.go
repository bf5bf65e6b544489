package segment

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-ego/gse"
	"github.com/jdkato/prose/v2"
	"github.com/vocal-dev/vocal/lexicons"
)

// Kind classifies a token.
type Kind uint8

// Token kinds.
const (
	Word Kind = iota
	Number
	Punct
	Emoji
	URL
	Mention
	Hashtag
)

var kindNames = [...]string{"word", "number", "punct", "emoji", "url", "mention", "hashtag"}

func (k Kind) String() string { return kindNames[k] }

// Token is one segment of the text: Text is its normalized form; Start and End
// are rune offsets into the original text (end exclusive); NStart and NEnd the
// same span in the normalized text.
type Token struct {
	Text       string
	Kind       Kind
	Start, End int
	NStart     int
	NEnd       int
}

// Clause is a span of the normalized text [Start, End) between punctuation or
// connectives. Lead is the connective that opens it, if any; Question is set
// when it ends in a question mark or the particle 吗.
type Clause struct {
	Start, End int
	Lead       string
	Question   bool
}

// Language codes.
const (
	LangZh    = "zh"
	LangEn    = "en"
	LangMixed = "mixed"
	LangUnd   = "und"
)

// Doc is a segmented text. It is read-only once returned by Segment.
type Doc struct {
	Original string
	Norm     Text
	Tokens   []Token
	Clauses  []Clause
	Lang     string

	orig       []rune
	normStr    string
	normBytes  []byte  // normStr as bytes, for the byte-oriented automata
	runeToByte []int32 // normalized rune index -> byte offset in normStr
	byteToIdx  []int32 // byte offset in normStr -> normalized rune index
	tokenAt    []int32 // normalized rune index -> token index, -1 outside tokens
	// startsBefore[i] counts the tokens starting before normalized position i.
	startsBefore []int32
}

// NormString is the normalized text as a string, for byte-oriented matchers.
func (d *Doc) NormString() string { return d.normStr }

// RuneIndex converts a byte offset in NormString to a normalized rune index.
func (d *Doc) RuneIndex(byteOff int) int { return int(d.byteToIdx[byteOff]) }

// Span converts a normalized span [ns, ne) to original rune offsets.
func (d *Doc) Span(ns, ne int) (start, end int) {
	if ne <= ns {
		if ns < len(d.Norm.Pos) {
			return int(d.Norm.Pos[ns]), int(d.Norm.Pos[ns])
		}
		return len(d.orig), len(d.orig)
	}
	return int(d.Norm.Pos[ns]), int(d.Norm.PosEnd[ne-1])
}

// Evidence returns the original text of the normalized span [ns, ne), trimmed
// of surrounding spaces and punctuation, with its original rune offsets.
func (d *Doc) Evidence(ns, ne int) (text string, start, end int) {
	for ns < ne && trimmable(d.Norm.Runes[ns]) {
		ns++
	}
	for ne > ns && trimmable(d.Norm.Runes[ne-1]) {
		ne--
	}
	start, end = d.Span(ns, ne)
	return d.Slice(start, end), start, end
}

// Slice returns the original text between rune offsets start and end.
func (d *Doc) Slice(start, end int) string { return string(d.orig[start:end]) }

// Skip returns the normalized position after the first occurrence of word at
// or after from (a clause's leading connective), or from when it is absent.
func (d *Doc) Skip(from int, word string) int {
	w := []rune(word)
	for i := from; i+len(w) <= len(d.Norm.Runes); i++ {
		if string(d.Norm.Runes[i:i+len(w)]) == word {
			return i + len(w)
		}
	}
	return from
}

// OriginalLen is the length of the original text in runes.
func (d *Doc) OriginalLen() int { return len(d.orig) }

func trimmable(r rune) bool {
	return unicode.IsSpace(r) || (unicode.IsPunct(r) && r != '"' && r != '\'') || r == '~'
}

// TokenIndex is the index of the token covering normalized rune i, or -1.
func (d *Doc) TokenIndex(i int) int {
	if i < 0 || i >= len(d.tokenAt) {
		return -1
	}
	return int(d.tokenAt[i])
}

// TokensBetween counts tokens strictly between normalized positions a (exclusive
// end of a left span) and b (start of a right span), ignoring spaces: the
// tokens starting in [a, b), plus one when a token already runs at a.
func (d *Doc) TokensBetween(a, b int) int {
	if b > len(d.startsBefore)-1 {
		b = len(d.startsBefore) - 1
	}
	if a < 0 || a >= b {
		return 0
	}
	n := int(d.startsBefore[b] - d.startsBefore[a])
	if t := d.tokenAt[a]; t >= 0 && d.Tokens[t].NStart < a {
		n++
	}
	return n
}

// ClauseOf returns the index of the clause holding normalized position i, or -1.
func (d *Doc) ClauseOf(i int) int {
	k := sort.Search(len(d.Clauses), func(k int) bool { return d.Clauses[k].End > i })
	if k < len(d.Clauses) && i >= d.Clauses[k].Start {
		return k
	}
	return -1
}

// Config configures a Segmenter.
type Config struct {
	// UserDict holds extra gse dictionary lines ("word freq pos"); '#' lines are skipped.
	UserDict string
	// Connectives open a new clause wherever they occur (但是, but, however, although).
	Connectives []string
	// LeadOnly are connectives recognised only at the start of a clause (就是, 只是).
	LeadOnly []string
}

// ConfigFor derives the segmenter configuration from a lexicon set: its user
// dictionary, and its contrast and concession connectives, those that also
// have a plain meaning inside a clause (这就是我要的, 结果很好) recognised
// only at a clause start.
func ConfigFor(set *lexicons.Set) Config {
	cfg := Config{UserDict: set.UserDict}
	for _, m := range set.Modifiers {
		switch {
		case m.Kind != lexicons.Contrast && m.Kind != lexicons.Concession:
		case ambiguousConnective[m.Term]:
			cfg.LeadOnly = append(cfg.LeadOnly, m.Term)
		default:
			cfg.Connectives = append(cfg.Connectives, m.Term)
		}
	}
	return cfg
}

var ambiguousConnective = map[string]bool{"就是": true, "只是": true, "结果": true, "却": true, "而": true,
	"yet": true, "though": true, "except": true, "still": true, "其实": true}

// Segmenter segments text; safe for concurrent use.
type Segmenter struct {
	gse         *gse.Segmenter
	simp        map[rune]rune
	connectives *Matcher
	leadOnly    map[string]bool
}

// New loads the gse dictionary (1-2 s, ~150 MB: build one per process and
// share it) plus the user dictionary.
func New(cfg Config) (*Segmenter, error) {
	simp, err := loadT2S()
	if err != nil {
		return nil, fmt.Errorf("traditional-to-simplified table: %w", err)
	}
	g := new(gse.Segmenter)
	g.SkipLog = true
	if err := g.LoadDictEmbed("zh_s"); err != nil {
		return nil, fmt.Errorf("gse dictionary: %w", err)
	}
	var lines []string
	for _, l := range strings.Split(cfg.UserDict, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Fields(l)
		f[0] = NormalizeTerm(f[0], simp)
		if len(f) == 1 {
			f = append(f, "1000")
		}
		lines = append(lines, strings.Join(f, " "))
	}
	if len(lines) > 0 {
		if err := g.LoadDictStr(strings.Join(lines, "\n")); err != nil {
			return nil, fmt.Errorf("user dictionary: %w", err)
		}
	}
	s := &Segmenter{gse: g, simp: simp, leadOnly: map[string]bool{}}
	all := append(append([]string{}, cfg.Connectives...), cfg.LeadOnly...)
	for _, c := range cfg.LeadOnly {
		s.leadOnly[s.Normalize(c)] = true
	}
	s.connectives = s.NewMatcher(all)
	return s, nil
}

// Normalize folds a term into matching form (see package doc).
func (s *Segmenter) Normalize(term string) string { return NormalizeTerm(term, s.simp) }

var (
	urlRE     = regexp.MustCompile(`(?:https?://|www\.)[a-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+`)
	mentionRE = regexp.MustCompile(`@[\p{L}\p{N}_\-]{1,30}`)
	hashtagRE = regexp.MustCompile(`#[^#\s]{1,40}#|#[\p{L}\p{N}_]{1,40}`)
)

type special struct {
	start, end int // normalized rune offsets
	kind       Kind
}

// Segment normalizes, tokenizes and splits text into clauses.
func (s *Segmenter) Segment(text string) *Doc {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	d := &Doc{Original: text, orig: []rune(text)}
	d.Norm = normalize(text, s.simp)
	maskHTML(&d.Norm)
	specials := findSpecials(d.Norm.Runes)
	for _, sp := range specials {
		if sp.kind == URL || sp.kind == Mention {
			for k := sp.start; k < sp.end; k++ {
				d.Norm.Runes[k] = ' ' // never matched by lexicons
			}
		}
	}
	d.setNormString()
	d.tokenize(s, specials)
	d.countStarts()
	d.clauses(s)
	d.Lang = detectLang(d)
	return d
}

func (d *Doc) countStarts() {
	d.startsBefore = make([]int32, len(d.Norm.Runes)+1)
	t := 0
	for i := range d.Norm.Runes {
		for t < len(d.Tokens) && d.Tokens[t].NStart < i+1 && d.Tokens[t].NStart <= i {
			t++
		}
		d.startsBefore[i+1] = int32(t)
	}
}

func (d *Doc) setNormString() {
	var b strings.Builder
	b.Grow(len(d.Norm.Runes) * 3)
	d.byteToIdx = make([]int32, 0, len(d.Norm.Runes)*3+1)
	for i, r := range d.Norm.Runes {
		n, _ := b.WriteRune(r)
		for k := 0; k < n; k++ {
			d.byteToIdx = append(d.byteToIdx, int32(i))
		}
	}
	d.byteToIdx = append(d.byteToIdx, int32(len(d.Norm.Runes)))
	d.normStr = b.String()
	d.runeToByte = make([]int32, len(d.Norm.Runes)+1)
	for bi := len(d.byteToIdx) - 1; bi >= 0; bi-- {
		d.runeToByte[d.byteToIdx[bi]] = int32(bi)
	}
	d.normBytes = []byte(d.normStr)
}

func findSpecials(rs []rune) []special {
	if !containsAny(rs, '/', '@', '#', '.') {
		return nil
	}
	s := string(rs)
	var out []special
	taken := make([]bool, len(rs))
	for _, re := range []struct {
		re   *regexp.Regexp
		kind Kind
	}{{urlRE, URL}, {mentionRE, Mention}, {hashtagRE, Hashtag}} {
		rc := runeCounter{s: s}
	matches:
		for _, loc := range re.re.FindAllStringIndex(s, -1) {
			a, b := rc.at(loc[0]), rc.at(loc[1])
			for k := a; k < b; k++ {
				if taken[k] { // overlaps an earlier special (#话题@某人#)
					continue matches
				}
			}
			for k := a; k < b; k++ {
				taken[k] = true
			}
			out = append(out, special{a, b, re.kind})
		}
	}
	sortSpecials(out)
	return out
}

func sortSpecials(sp []special) {
	sort.Slice(sp, func(i, j int) bool { return sp[i].start < sp[j].start })
}

type runeClass uint8

const (
	classSpace runeClass = iota
	classHan
	classEmoji
	classOther
)

func classify(r rune) runeClass {
	switch {
	case unicode.IsSpace(r):
		return classSpace
	case unicode.Is(unicode.Han, r):
		return classHan
	case isEmoji(r):
		return classEmoji
	}
	return classOther
}

func isEmoji(r rune) bool {
	return (r >= 0x1F000 && r <= 0x1FAFF) || (r >= 0x2600 && r <= 0x27BF) || (r >= 0x2B00 && r <= 0x2BFF) ||
		(r >= 0x1F1E6 && r <= 0x1F1FF) || r == 0x2764 || r == 0x2B50
}

func (d *Doc) tokenize(s *Segmenter, specials []special) {
	rs := d.Norm.Runes
	d.tokenAt = make([]int32, len(rs))
	for i := range d.tokenAt {
		d.tokenAt[i] = -1
	}
	sp := 0
	for i := 0; i < len(rs); {
		for sp < len(specials) && specials[sp].start < i {
			sp++ // never expected: specials do not overlap
		}
		if sp < len(specials) && specials[sp].start == i {
			d.addToken(specials[sp].start, specials[sp].end, specials[sp].kind)
			i = specials[sp].end
			sp++
			continue
		}
		stop := len(rs)
		if sp < len(specials) {
			stop = specials[sp].start
		}
		c := classify(rs[i])
		j := i + 1
		for j < stop && (classify(rs[j]) == c || c == classOther && latinJoin(rs, j, stop)) {
			j++
		}
		switch c {
		case classHan:
			pos := i
			for _, w := range s.gse.Cut(string(rs[i:j]), false) {
				n := utf8.RuneCountInString(w)
				d.addToken(pos, pos+n, Word)
				pos += n
			}
		case classEmoji:
			for k := i; k < j; k++ {
				d.addToken(k, k+1, Emoji)
			}
		case classOther:
			// cut at clause punctuation first: prose keeps "，a4l" or "15，618" whole
			from := i
			for k := i; k <= j; k++ {
				if k == j || isBoundary(rs, k) && rs[k] != ' ' && rs[k] != '\t' {
					if k > from {
						d.tokenizeLatin(from, k)
					}
					if k < j {
						d.addToken(k, k+1, Punct)
					}
					from = k + 1
				}
			}
		}
		i = j
	}
}

// latinJoin reports whether the space at j continues a non-Han run (iPhone 15
// Pro is one run for prose, so model numbers can stay whole).
func latinJoin(rs []rune, j, stop int) bool {
	return (rs[j] == ' ' || rs[j] == '\t') && j+1 < stop && classify(rs[j+1]) == classOther
}

// tokenizeLatin runs prose's tokenizer over the non-Han run [a, b) and aligns
// its tokens back to positions; tokens it rewrote are skipped.
func (d *Doc) tokenizeLatin(a, b int) {
	run := string(d.Norm.Runes[a:b])
	doc, err := prose.NewDocument(run, prose.WithTagging(false), prose.WithSegmentation(false), prose.WithExtraction(false))
	if err != nil {
		return
	}
	cursor := 0 // byte offset in run
	first := len(d.Tokens)
	for _, t := range doc.Tokens() {
		k := strings.Index(run[cursor:], t.Text)
		if k < 0 || t.Text == "" {
			continue
		}
		start := a + utf8.RuneCountInString(run[:cursor+k])
		end := start + utf8.RuneCountInString(t.Text)
		cursor += k + len(t.Text)
		d.addToken(start, end, latinKind(t.Text))
	}
	d.mergeModelNumbers(first)
}

func latinKind(s string) Kind {
	hasLetter, hasDigit := false, false
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			hasLetter = true
		case unicode.IsDigit(r):
			hasDigit = true
		}
	}
	switch {
	case hasLetter:
		return Word
	case hasDigit:
		return Number
	}
	return Punct
}

// mergeModelNumbers joins a capitalised product word and the number after it
// (iPhone 15, Mate 60, RTX 4060) into one token, from token index first on.
func (d *Doc) mergeModelNumbers(first int) {
	out := d.Tokens[:first]
	toks := d.Tokens[first:]
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if i+1 < len(toks) && t.Kind == Word && toks[i+1].Kind == Number &&
			toks[i+1].NStart == t.NEnd+1 && toks[i+1].NEnd-toks[i+1].NStart <= 4 && d.hasUpper(t) {
			n := toks[i+1]
			t.End, t.NEnd, t.Text = n.End, n.NEnd, t.Text+" "+n.Text
			i++
		}
		out = append(out, t)
	}
	d.Tokens = out
	for k := first; k < len(d.Tokens); k++ {
		for p := d.Tokens[k].NStart; p < d.Tokens[k].NEnd; p++ {
			d.tokenAt[p] = int32(k)
		}
	}
}

func (d *Doc) hasUpper(t Token) bool {
	for _, r := range d.orig[t.Start:t.End] {
		if unicode.IsUpper(r) {
			return true
		}
	}
	return false
}

func (d *Doc) addToken(ns, ne int, kind Kind) {
	start, end := d.Span(ns, ne)
	idx := int32(len(d.Tokens))
	d.Tokens = append(d.Tokens, Token{Text: string(d.Norm.Runes[ns:ne]), Kind: kind, Start: start, End: end, NStart: ns, NEnd: ne})
	for k := ns; k < ne; k++ {
		d.tokenAt[k] = idx
	}
}
