package redact

import (
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Kind is a type of personal data; its placeholder is "[" + Kind + "]".
type Kind string

// Kinds of personal data.
const (
	Email    Kind = "EMAIL"
	IDCard   Kind = "ID_CARD"
	BankCard Kind = "BANK_CARD"
	Phone    Kind = "PHONE"
	Address  Kind = "ADDRESS"
)

// Placeholder is the text that replaces data of kind k.
func (k Kind) Placeholder() string { return "[" + string(k) + "]" }

// Span is one redacted piece: its kind, its rune offsets [Start, End) in the
// original text and [OutStart, OutEnd) of its placeholder in the redacted
// text.
type Span struct {
	Kind             Kind
	Start, End       int
	OutStart, OutEnd int
}

// Result is a redacted text and what was replaced, in text order.
type Result struct {
	Text  string
	Spans []Span
}

// String returns text with its personal data replaced by placeholders.
func String(text string) string { return Redact(text).Text }

// Original maps the rune span [start, end) of the redacted text to the
// original text: a bound inside a placeholder moves to the start (for start)
// or the end (for end) of the data it replaced.
func (r Result) Original(start, end int) (int, int) {
	return r.orig(start, false), r.orig(end, true)
}

func (r Result) orig(p int, isEnd bool) int {
	shift := 0
	for _, s := range r.Spans {
		if p <= s.OutStart {
			break
		}
		if p < s.OutEnd {
			if isEnd {
				return s.End
			}
			return s.Start
		}
		shift = s.End - s.OutEnd
	}
	return p + shift
}

// detector finds one kind of data in the folded text; ok, when set, checks a
// match given the folded runes and the match's rune span.
type detector struct {
	kind    Kind
	need    func(h hints) bool // cheap pre-check: false skips the regexp
	re      *regexp.Regexp
	ok      func(rs []rune, s, e int) bool
	numeric bool // a digit right before or after rejects the match
}

// nameChar is a Han character that may be part of a place name: not one of
// the function words and verbs that come before an address in feedback (住在,
// 寄到, 送往, 我的).
const nameChar = `[^\P{Han}在住于是到往送寄的我你他她了给把请帮与和及从向]`

// unit is a building, unit and room suffix of an address.
const unit = `(?:院)?(?:\d{1,4}(?:号楼|栋|幢|座|期))?(?:\d{1,3}单元)?(?:\d{1,5}(?:室|房|号)?)?`

var detectors = []detector{
	{kind: Email, need: func(h hints) bool { return h.at }, re: regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)},
	{kind: IDCard, need: func(h hints) bool { return h.digits >= 17 }, re: regexp.MustCompile(`\d{17}[\dXx]`), ok: validID, numeric: true},
	{kind: BankCard, need: func(h hints) bool { return h.digits >= 16 }, re: regexp.MustCompile(`\d{4}(?:[ \-]\d{4}){3}(?:[ \-]\d{1,3})?|\d{16,19}`), ok: validCard, numeric: true},
	{kind: Phone, need: func(h hints) bool { return h.digits >= 11 }, re: regexp.MustCompile(`(?:(?:\+|00)?86[ \-]?)?1[3-9]\d(?:\d{8}|[ \-]\d{4}[ \-]\d{4})`), numeric: true},
	{kind: Address, need: func(h hints) bool { return h.zhAddr || h.enAddr }, re: regexp.MustCompile(
		nameChar + `{2}(?:[东南西北中]|[一二三四五六七八九十]{1,2})?(?:大道|大街|路|街|巷|弄|胡同)\d{1,5}(?:-\d{1,5})?号` + unit +
			`|` + nameChar + `{2,3}(?:小区|花园|公寓|大厦|家园|新村|苑)(?:\d{1,4}(?:号楼|栋|幢|座|期))+(?:\d{1,3}单元)?(?:\d{1,5}(?:室|房|号)?)?` +
			`|\b\d{1,5} (?:[A-Z][A-Za-z]+ ){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl)\b\.?(?:,? (?:Apt|Apartment|Suite|Unit) ?#?\w+)?`)},
}

// Redact finds personal data in text and replaces each piece by its kind's
// placeholder. Text without a digit or an at sign is returned as is. Invalid
// UTF-8 in a text that holds a candidate comes out as U+FFFD.
func Redact(text string) Result {
	if !mayHold(text) {
		return Result{Text: text}
	}
	rs := []rune(text)
	folded := make([]rune, len(rs))
	for i, r := range rs {
		folded[i] = fold(r)
	}
	fs := string(folded)
	// byteAt[i] is the byte offset of rune i in fs.
	byteAt := make([]int, 0, len(rs)+1)
	for i := range fs {
		byteAt = append(byteAt, i)
	}
	byteAt = append(byteAt, len(fs))
	runeAt := func(b int) int { return sort.SearchInts(byteAt, b) }

	h := scan(folded)
	var found []Span
	for _, d := range detectors {
		if !d.need(h) {
			continue
		}
		for _, m := range d.re.FindAllStringIndex(fs, -1) {
			s, e := runeAt(m[0]), runeAt(m[1])
			if d.numeric && (s > 0 && isDigit(folded[s-1]) || e < len(folded) && isDigit(folded[e])) {
				continue
			}
			if d.ok != nil && !d.ok(folded, s, e) {
				continue
			}
			if overlaps(found, s, e) {
				continue
			}
			found = append(found, Span{Kind: d.kind, Start: s, End: e})
		}
	}
	if len(found) == 0 {
		if utf8.ValidString(text) {
			return Result{Text: text}
		}
		return Result{Text: string(rs)}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Start < found[j].Start })
	var b strings.Builder
	b.Grow(len(text))
	pos, out := 0, 0
	for i := range found {
		sp := &found[i]
		b.WriteString(string(rs[pos:sp.Start]))
		out += sp.Start - pos
		ph := sp.Kind.Placeholder()
		b.WriteString(ph)
		sp.OutStart, sp.OutEnd = out, out+len(ph)
		out = sp.OutEnd
		pos = sp.End
	}
	b.WriteString(string(rs[pos:]))
	return Result{Text: b.String(), Spans: found}
}

// hints are what the detectors need to find anything.
type hints struct {
	at     bool // an at sign
	digits int  // digits in the longest run of digits with single spaces or hyphens between them
	zhAddr bool // a house, building or phase counter after a digit (88号, 3栋)
	enAddr bool // a digit, a space and an upper-case letter (221 Baker)
}

func scan(rs []rune) hints {
	var h hints
	run := 0
	for i, r := range rs {
		switch {
		case r == '@':
			h.at = true
		case isDigit(r):
			run++
			h.digits = max(h.digits, run)
			if i+1 < len(rs) {
				switch rs[i+1] {
				case '号', '栋', '幢', '座', '期':
					h.zhAddr = true
				case ' ':
					if i+2 < len(rs) && rs[i+2] >= 'A' && rs[i+2] <= 'Z' {
						h.enAddr = true
					}
				}
			}
		case (r == ' ' || r == '-') && run > 0 && isDigit(rs[i-1]) && i+1 < len(rs) && isDigit(rs[i+1]):
			// a single separator inside a digit run
		default:
			run = 0
		}
	}
	return h
}

// mayHold reports whether text may hold anything Redact finds: every kind
// needs a digit (ASCII or full-width) or an at sign.
func mayHold(text string) bool {
	for _, r := range text {
		if isDigit(fold(r)) || r == '@' || r == '＠' {
			return true
		}
	}
	return false
}

// fold maps full-width ASCII variants and the ideographic space to ASCII,
// one rune for one rune.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	}
	return r
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func overlaps(spans []Span, s, e int) bool {
	for _, x := range spans {
		if s < x.End && x.Start < e {
			return true
		}
	}
	return false
}

// idWeights are the weights of the 17 digits of a resident ID number (GB
// 11643-1999, ISO 7064 MOD 11-2); idCheck maps the weighted sum mod 11 to the
// check character.
var (
	idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	idCheck   = "10X98765432"
)

// validID checks an 18-character ID number: region not starting with 0, a
// birth date in 1900-2099 with month 01-12 and day 01-31, and the check
// character.
func validID(rs []rune, s, e int) bool {
	id := rs[s:e]
	if len(id) != 18 || id[0] == '0' {
		return false
	}
	num := func(i, n int) int {
		x := 0
		for _, r := range id[i : i+n] {
			x = x*10 + int(r-'0')
		}
		return x
	}
	if y, m, d := num(6, 4), num(10, 2), num(12, 2); y < 1900 || y > 2099 || m < 1 || m > 12 || d < 1 || d > 31 {
		return false
	}
	sum := 0
	for i, w := range idWeights {
		sum += int(id[i]-'0') * w
	}
	c := id[17]
	if c == 'x' {
		c = 'X'
	}
	return rune(idCheck[sum%11]) == c
}

// validCard checks 16-19 digits (separators ignored) with the Luhn algorithm.
func validCard(rs []rune, s, e int) bool {
	var digits []int
	for _, r := range rs[s:e] {
		if isDigit(r) {
			digits = append(digits, int(r-'0'))
		}
	}
	if len(digits) < 16 || len(digits) > 19 {
		return false
	}
	return Luhn(digits)
}

// Luhn reports whether the digits (most significant first) pass the Luhn
// check.
func Luhn(digits []int) bool {
	sum := 0
	for i := range digits {
		d := digits[len(digits)-1-i]
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return len(digits) > 0 && sum%10 == 0
}
