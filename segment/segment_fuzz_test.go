package segment_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vocal-dev/vocal/segment"
)

// benchFuzzSeeds are hand-written edge cases for the segmenter and the
// analyzer: scripts, widths, repeats, markup, invalid UTF-8 and control bytes.
var benchFuzzSeeds = []string{
	"",
	" ",
	"\n\n\t",
	"物流很快，但是客服态度太差了",
	"Fast shipping, but the box was crushed.",
	"iPhone 15 Pro发热严重 battery drains fast",
	"😀😀😀",
	"👍🏻👩‍👩‍👧‍👦🇨🇳❤️⭐",
	"😡",
	"<p>质量<b>很好</b>&nbsp;&amp;&#128512;</p>",
	"<script>alert('差评')</script>",
	"详情见 https://example.com/a?b=1&c=好#frag 和 www.test.cn/路径",
	"@客服小美 @user_01 你好",
	"#双十一踩雷# #好物推荐 #",
	"##",
	"@",
	"好好好好好",
	"好好好好好好好好好好好好好好好好好好好好好好好好好好好好好好",
	"soooooo goooood",
	"!!!!!!!!????????。。。。。",
	"ＡＢＣ１２３，全角ＡＰＰ！",
	"I cannot gonna don't I'm y'all o'clock e-mail U.S.A. AT&T",
	"这個價錢太貴了",
	"a\x00b\x00好",
	"\x00",
	"\xed\xa0\x80\xed\xb0\x80", // a surrogate pair encoded as CESU-8 (invalid UTF-8)
	"好\xed\xa0\x80评",           // lone high surrogate
	"\xed\xbf\xbf",             // lone low surrogate
	"\xff\xfe\xfd",
	"好\xe4\xbd",  // truncated sequence
	"\xc0\xaf差评", // overlong encoding
	"\uFEFF\u200B\u200D\uFE0F",
	"\u3000\u3000全角空格",
	"“好用”「不错」‘ok’",
	"10.5元 v2.1版本 618活动 5G信号",
	"not bad, not good... but OK?",
	"但是",
	"但是但是但是，不过而且",
	"好 好 好 好",
	"Ｉ ｌｏｖｅ ｉｔ",
	"😂😂😂好😂😂😂",
	"ℌ𝔢𝔩𝔩𝔬 𝕨𝕠𝕣𝕝𝕕",
	"اللغة العربية جيدة",
	"Ünïcödé çåfé naïve",
	"\r\n\r\n好\r\n",
	"a\u0301\u0302\u0303",
	strings.Repeat("ha", 200),
	strings.Repeat("好评", 100),
	strings.Repeat("<", 50) + strings.Repeat(">", 50),
	strings.Repeat("#a", 60),
	strings.Repeat("@", 40) + "x",
}

func FuzzSegment(f *testing.F) {
	for _, s := range benchFuzzSeeds {
		f.Add(s)
	}
	seg := benchMustSegmenter(f)
	f.Fuzz(func(t *testing.T, text string) {
		d := seg.Segment(text)
		benchCheckDoc(t, text, d)
	})
}

// benchCheckDoc asserts the invariants every Doc keeps, whatever the input.
func benchCheckDoc(t *testing.T, text string, d *segment.Doc) {
	t.Helper()
	if d == nil {
		t.Fatalf("Segment(%q) = nil", text)
	}
	orig := []rune(d.Original)
	n := d.OriginalLen()
	if n != len(orig) {
		t.Fatalf("OriginalLen() = %d, want %d runes of Original", n, len(orig))
	}
	if utf8.ValidString(text) && d.Original != text {
		t.Fatalf("Original = %q, want the input %q", d.Original, text)
	}
	if !utf8.ValidString(d.Original) {
		t.Fatalf("Original %q is not valid UTF-8", d.Original)
	}
	switch d.Lang {
	case segment.LangZh, segment.LangEn, segment.LangMixed, segment.LangUnd:
	default:
		t.Fatalf("Lang = %q", d.Lang)
	}

	nt := d.Norm
	nn := len(nt.Runes)
	if len(nt.Pos) != nn || len(nt.PosEnd) != nn || len(nt.Emph) != nn {
		t.Fatalf("Norm lengths: runes %d pos %d posEnd %d emph %d", nn, len(nt.Pos), len(nt.PosEnd), len(nt.Emph))
	}
	if nn > n {
		t.Fatalf("normalized text has %d runes, original %d", nn, n)
	}
	prevEnd := 0
	for i := range nn {
		p, e := int(nt.Pos[i]), int(nt.PosEnd[i])
		if p < prevEnd || e <= p || e > n {
			t.Fatalf("Norm rune %d covers [%d,%d) after %d, original has %d runes", i, p, e, prevEnd, n)
		}
		prevEnd = e
	}
	if got := d.NormString(); got != string(nt.Runes) {
		t.Fatalf("NormString() = %q, want %q", got, string(nt.Runes))
	}

	var prev *segment.Token
	for i := range d.Tokens {
		tk := &d.Tokens[i]
		if tk.Start < 0 || tk.Start >= tk.End || tk.End > n {
			t.Fatalf("token %d %q: span [%d,%d) out of [0,%d]", i, tk.Text, tk.Start, tk.End, n)
		}
		if tk.NStart < 0 || tk.NStart >= tk.NEnd || tk.NEnd > nn {
			t.Fatalf("token %d %q: normalized span [%d,%d) out of [0,%d]", i, tk.Text, tk.NStart, tk.NEnd, nn)
		}
		if prev != nil && (tk.Start < prev.End || tk.NStart < prev.NEnd) {
			t.Fatalf("token %d %q [%d,%d) overlaps or precedes token %d %q [%d,%d)",
				i, tk.Text, tk.Start, tk.End, i-1, prev.Text, prev.Start, prev.End)
		}
		if tk.Text == "" {
			t.Fatalf("token %d: empty text", i)
		}
		if prev != nil && prev.NEnd == tk.NStart && benchASCIIWord(prev.Text) && benchASCIIWord(tk.Text) {
			t.Fatalf("Latin word split into tokens %d %q and %d %q", i-1, prev.Text, i, tk.Text)
		}
		_ = tk.Kind.String()
		for k := tk.NStart; k < tk.NEnd; k++ {
			if got := d.TokenIndex(k); got != i {
				t.Fatalf("TokenIndex(%d) = %d, want %d (token %q)", k, got, i, tk.Text)
			}
		}
		benchCheckEvidence(t, d, orig, tk.NStart, tk.NEnd)
		prev = tk
	}

	prevClause := 0
	for i, c := range d.Clauses {
		if c.Start < prevClause || c.Start > c.End || c.End > nn {
			t.Fatalf("clause %d [%d,%d): out of order or out of [0,%d] (previous ended at %d)", i, c.Start, c.End, nn, prevClause)
		}
		if s, e := d.Span(c.Start, c.End); s < 0 || s > e || e > n {
			t.Fatalf("clause %d: Span = [%d,%d), original has %d runes", i, s, e, n)
		}
		if len(d.Clauses) <= 64 { // ClauseOf is linear in the clauses
			for k := c.Start; k < c.End; k++ {
				if got := d.ClauseOf(k); got != i {
					t.Fatalf("ClauseOf(%d) = %d, want %d", k, got, i)
				}
			}
		}
		benchCheckEvidence(t, d, orig, c.Start, c.End)
		prevClause = c.End
	}
	_ = d.TokenIndex(-1)
	_ = d.TokenIndex(nn)
	_ = d.ClauseOf(nn)
	_ = d.TokensBetween(0, nn)
}

// benchASCIIWord reports whether s is made of ASCII letters only; two such
// tokens never touch (prose keeps a word whole, "n't" and "'m" carry a quote).
func benchASCIIWord(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return s != ""
}

func benchCheckEvidence(t *testing.T, d *segment.Doc, orig []rune, ns, ne int) {
	t.Helper()
	text, s, e := d.Evidence(ns, ne)
	if s < 0 || s > e || e > len(orig) {
		t.Fatalf("Evidence(%d,%d) = [%d,%d), original has %d runes", ns, ne, s, e, len(orig))
	}
	if want := string(orig[s:e]); text != want {
		t.Fatalf("Evidence(%d,%d) text %q, want original runes [%d:%d] %q", ns, ne, text, s, e, want)
	}
}

// TestSegmentSeeds runs the fuzz invariants over the seeds in every test run,
// and checks that Segment is deterministic.
func TestSegmentSeeds(t *testing.T) {
	seg := benchMustSegmenter(t)
	for _, s := range benchFuzzSeeds {
		d := seg.Segment(s)
		benchCheckDoc(t, s, d)
		if d2 := seg.Segment(s); len(d2.Tokens) != len(d.Tokens) || len(d2.Clauses) != len(d.Clauses) || d2.Lang != d.Lang {
			t.Errorf("Segment(%q) is not deterministic", s)
		}
	}
}

// TestSegmentLargeInput segments 1 MB of reviews as one text: offsets must hold
// at that size (its time is logged, never asserted: machines are noisy).
func TestSegmentLargeInput(t *testing.T) {
	if testing.Short() {
		t.Skip("1 MB input")
	}
	seg := benchMustSegmenter(t)
	zh, _ := benchLines(t, "zh")
	en, _ := benchLines(t, "en")
	all := strings.Join(append(zh, en...), "\n")
	const size = 1 << 20
	text := strings.ToValidUTF8(strings.Repeat(all, size/len(all)+1)[:size], "")
	start := time.Now()
	d := seg.Segment(text)
	elapsed := time.Since(start)
	benchCheckDoc(t, text, d)
	if d.Lang != segment.LangMixed {
		t.Errorf("Lang = %q, want %q", d.Lang, segment.LangMixed)
	}
	t.Logf("%d bytes, %d tokens, %d clauses in %v", len(text), len(d.Tokens), len(d.Clauses), elapsed)
}
