package pipeline_test

import (
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/pipeline"
)

// benchAnalyzeSeeds are hand-written edge cases: scripts, widths, repeats,
// markup, negation, invalid UTF-8 and control bytes.
var benchAnalyzeSeeds = []string{
	"",
	" ",
	"物流很快，但是客服态度太差了",
	"Fast shipping, but the box was crushed.",
	"iPhone 15 Pro发热严重 battery drains fast",
	"充电器发烫冒烟了，差点起火！再也不买了",
	"my card was charged twice, this is fraud. reporting to my bank",
	"不是不好，就是没有想象中好",
	"not bad at all",
	"真是太\"好用\"了",
	"这也叫好用？",
	"😀😀😀",
	"👍🏻👩‍👩‍👧‍👦🇨🇳❤️⭐",
	"<p>质量<b>很好</b>&nbsp;&amp;&#128512;</p>",
	"详情见 https://example.com/a?b=1&c=好#frag 和 www.test.cn/路径",
	"@客服小美 @user_01 退款什么时候到？",
	"#双十一踩雷# #好物推荐 #",
	"好好好好好",
	"差差差差差差差",
	"soooooo goooood",
	"!!!!!!!!????????。。。。。",
	"ＡＢＣ１２３，全角ＡＰＰ太难用！",
	"這個價錢太貴了",
	"客服態度很好，問題很快就解決了",
	"a\x00b\x00好",
	"\x00",
	"\xed\xa0\x80\xed\xb0\x80",
	"好\xed\xa0\x80评",
	"\xff\xfe\xfd差评",
	"好\xe4\xbd",
	"\uFEFF\u200B\u200D\uFE0F好评",
	"“好用”「不错」‘ok’",
	"10.5元 v2.1版本 618活动 5G信号很差",
	"但是",
	"但是但是但是，不过而且",
	"好 好 好 好",
	"不不不不不不好",
	"not not not not good",
	"ℌ𝔢𝔩𝔩𝔬 𝕨𝕠𝕣𝕝𝕕 terrible",
	strings.Repeat("好评", 100),
	strings.Repeat("#a", 60),
}

func FuzzAnalyze(f *testing.F) {
	for _, s := range benchAnalyzeSeeds {
		f.Add(s)
	}
	an := benchMustAnalyzer(f)
	f.Fuzz(func(t *testing.T, text string) {
		benchCheckAnalysis(t, text, an.Analyze(text))
	})
}

// benchCheckAnalysis asserts the invariants of every Analysis: offsets in
// range, evidence equal to the original runes it points at, scores in [-1, 1].
// Offsets count runes of the text as Segment sees it: invalid UTF-8 sequences
// are replaced by one U+FFFD each.
func benchCheckAnalysis(t *testing.T, text string, a pipeline.Analysis) {
	t.Helper()
	orig := []rune(strings.ToValidUTF8(text, "\uFFFD"))
	n := len(orig)
	span := func(what string, s, e int) {
		t.Helper()
		if s < 0 || s > e || e > n {
			t.Fatalf("%s: span [%d,%d) out of [0,%d] in %q", what, s, e, n, text)
		}
	}
	switch a.Lang {
	case "zh", "en", "mixed", "und":
	default:
		t.Fatalf("Lang = %q", a.Lang)
	}
	score := func(what string, x float64) {
		t.Helper()
		if math.IsNaN(x) || x < -1 || x > 1 {
			t.Fatalf("%s score %v outside [-1, 1] for %q", what, x, text)
		}
	}
	label := func(what, l string) {
		t.Helper()
		if l != "positive" && l != "negative" && l != "neutral" {
			t.Fatalf("%s label %q", what, l)
		}
	}
	score("sentiment", a.Sentiment.Score)
	label("sentiment", a.Sentiment.Label)
	for i, ev := range a.Sentiment.Evidence {
		span("sentiment evidence", ev.Start, ev.End)
		if want := string(orig[ev.Start:ev.End]); ev.Text != want {
			t.Fatalf("evidence %d: text %q, want runes [%d:%d] %q of %q", i, ev.Text, ev.Start, ev.End, want, text)
		}
		if ev.Start == ev.End {
			t.Fatalf("evidence %d (%q): empty span at %d", i, ev.Term, ev.Start)
		}
		if math.IsNaN(ev.Value) || math.IsInf(ev.Value, 0) {
			t.Fatalf("evidence %d (%q): value %v", i, ev.Term, ev.Value)
		}
	}
	for i, m := range a.Topics {
		span("topic "+m.Topic, m.Start, m.End)
		if want := string(orig[m.Start:m.End]); m.Evidence != want {
			t.Fatalf("topic %d %s: evidence %q, want runes [%d:%d] %q of %q", i, m.Topic, m.Evidence, m.Start, m.End, want, text)
		}
		score("topic "+m.Topic, m.Score)
		label("topic "+m.Topic, m.Sentiment)
	}
	levels := map[string]bool{lexicons.LevelNone: true, lexicons.LevelMedium: true, lexicons.LevelHigh: true, lexicons.LevelCritical: true}
	if !levels[a.Risk.Level] {
		t.Fatalf("risk level %q", a.Risk.Level)
	}
	if len(a.Risk.Hits) == 0 && a.Risk.Level != lexicons.LevelNone {
		t.Fatalf("risk level %q without hits", a.Risk.Level)
	}
	for _, h := range a.Risk.Hits {
		span("risk "+h.Term, h.Start, h.End)
		if !levels[h.Level] || h.Level == lexicons.LevelNone {
			t.Fatalf("risk hit %q: level %q", h.Term, h.Level)
		}
		if lexicons.LevelRank(h.Level) > lexicons.LevelRank(a.Risk.Level) {
			t.Fatalf("risk hit %q level %q above document level %q", h.Term, h.Level, a.Risk.Level)
		}
	}
}

// TestAnalyzeSeeds runs the fuzz invariants over the seeds in every test run.
func TestAnalyzeSeeds(t *testing.T) {
	an := benchMustAnalyzer(t)
	for _, s := range benchAnalyzeSeeds {
		benchCheckAnalysis(t, s, an.Analyze(s))
	}
}

// TestAnalyzeLargeInput tags 1 MB of reviews as one text: offsets must hold
// at that size (its time is logged, never asserted: machines are noisy).
func TestAnalyzeLargeInput(t *testing.T) {
	if testing.Short() {
		t.Skip("1 MB input")
	}
	an := benchMustAnalyzer(t)
	zh, _ := benchLines(t, "zh")
	en, _ := benchLines(t, "en")
	all := strings.Join(append(zh, en...), "\n")
	const size = 1 << 20
	text := strings.ToValidUTF8(strings.Repeat(all, size/len(all)+1)[:size], "")
	if !utf8.ValidString(text) {
		t.Fatal("test text is not UTF-8")
	}
	start := time.Now()
	a := an.Analyze(text)
	elapsed := time.Since(start)
	benchCheckAnalysis(t, text, a)
	t.Logf("%d bytes: %d evidence, %d topic mentions, %d risk hits in %v",
		len(text), len(a.Sentiment.Evidence), len(a.Topics), len(a.Risk.Hits), elapsed)
}
