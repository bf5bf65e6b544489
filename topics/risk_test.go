package topics_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/topics"
)

// riskHit is what a test expects of one RiskHit: term, category, level, and
// the original text and rune offsets of its span.
type riskHit struct {
	term, category, level string
	evidence              string
	start, end            int
}

func riskHitsOf(text string, r topics.Risk) []riskHit {
	rs := []rune(text)
	var out []riskHit
	for _, h := range r.Hits {
		ev := "<out of range>"
		if h.Start >= 0 && h.Start <= h.End && h.End <= len(rs) {
			ev = string(rs[h.Start:h.End])
		}
		out = append(out, riskHit{h.Term, h.Category, h.Level, ev, h.Start, h.End})
	}
	return out
}

// checkRiskLevel: the level is the highest of the hits, "none" without any,
// and Hits is never nil (it is an empty JSON array, not null).
func checkRiskLevel(t *testing.T, text string, r topics.Risk) {
	t.Helper()
	want := lexicons.LevelNone
	for _, h := range r.Hits {
		if lexicons.LevelRank(h.Level) > lexicons.LevelRank(want) {
			want = h.Level
		}
	}
	if r.Level != want {
		t.Errorf("%q: level %s, want %s, the highest of %+v", text, r.Level, want, r.Hits)
	}
	if r.Hits == nil {
		t.Errorf("%q: Hits is nil, want an empty slice", text)
	}
}

// TestRiskMechanisms runs the small risk list of helpers_test.go: every hit
// with category, level and exact offsets; negated and hypothetical events
// cancelled; reported events and threats kept.
func TestRiskMechanisms(t *testing.T) {
	a := mustShared(t).small
	const (
		crit = lexicons.LevelCritical
		high = lexicons.LevelHigh
		med  = lexicons.LevelMedium
		none = lexicons.LevelNone
	)
	for _, tc := range []struct {
		name, text, level string
		hits              []riskHit
	}{
		{"reported smoke", "充电时冒烟", crit, []riskHit{{"冒烟", "safety", crit, "冒烟", 3, 5}}},
		{"traditional text, original evidence", "充電時冒煙", crit, []riskHit{{"冒烟", "safety", crit, "冒煙", 3, 5}}},
		{"near miss is an event", "充电器差点起火", crit, []riskHit{{"起火", "safety", crit, "起火", 5, 7}}},
		{"English event", "The charger caught fire last night", crit, []riskHit{{"caught fire", "safety", crit, "caught fire", 12, 23}}},
		{"English near miss", "it almost caught fire", crit, []riskHit{{"caught fire", "safety", crit, "caught fire", 10, 21}}},
		{"legal threat", "我要起诉你们", high, []riskHit{{"起诉", "legal", high, "起诉", 2, 4}}},
		{"regulator threat", "I will report you to the BBB", high, []riskHit{{"report you to", "regulator", high, "report you to", 7, 20}}},
		{"media threat", "我要曝光你们", high, []riskHit{{"曝光", "media", high, "曝光", 2, 4}}},
		{"churn", "再也不买了", med, []riskHit{{"再也不买", "churn", med, "再也不买", 0, 4}}},
		{"English churn", "I want to cancel my subscription", med, []riskHit{{"cancel my subscription", "churn", med, "cancel my subscription", 10, 32}}},
		{"negated event", "没有出现过起火", none, nil},
		{"negated event, short", "用了半年没有冒烟", none, nil},
		{"negated fraud", "this is not a scam", none, nil},
		{"reported fraud", "this is a scam", crit, []riskHit{{"scam", "fraud", crit, "scam", 10, 14}}},
		{"hypothetical event", "担心会起火", none, nil},
		{"English hypothetical", "what happens if it catches fire", none, nil},
		{"event marker beats the hypothetical", "担心差点起火", crit, []riskHit{{"起火", "safety", crit, "起火", 4, 6}}},
		{"hypothetical does not cancel a threat", "担心的话我就起诉", high, []riskHit{{"起诉", "legal", high, "起诉", 6, 8}}},
		{"conditional threat in its own clause", "你们再不处理，我就起诉", high, []riskHit{{"起诉", "legal", high, "起诉", 9, 11}}},
		{"English conditional threat", "if you ignore me again I will sue", high, []riskHit{{"sue", "legal", high, "sue", 30, 33}}},
		{"negation in another clause does not cancel", "没有人理我，充电时冒烟", crit, []riskHit{{"冒烟", "safety", crit, "冒烟", 9, 11}}},
		{"regex churn", "以后不会再来了", med, []riskHit{{"re:以后不(会)?(再)?(买|来)了", "churn", med, "以后不会再来了", 0, 7}}},
		{"regex churn, optional parts absent", "以后不买了", med, []riskHit{{"re:以后不(会)?(再)?(买|来)了", "churn", med, "以后不买了", 0, 5}}},
		{"regex event", "电池鼓包了", crit, []riskHit{{"re:(电池|充电宝)(鼓包|爆了)", "safety", crit, "电池鼓包", 0, 4}}},
		{"regex event, hypothetical", "担心电池鼓包", none, nil},
		{"regex with a number", "骗了我500块", crit, []riskHit{{"re:骗了?我[0-9一二两三四五六七八九十百千]+(块|元)", "fraud", crit, "骗了我500块", 0, 7}}},
		{"regex over full-width digits", "骗我３００元", crit, []riskHit{{"re:骗了?我[0-9一二两三四五六七八九十百千]+(块|元)", "fraud", crit, "骗我３００元", 0, 6}}},
		{"English regex", "They charged me twice without my consent!", crit,
			[]riskHit{{"re:charged .{0,12}without (my )?(consent|permission)", "fraud", crit, "charged me twice without my consent", 5, 40}}},
		{"level is the highest hit", "差点起火，我要起诉你们", crit, []riskHit{
			{"起火", "safety", crit, "起火", 2, 4}, {"起诉", "legal", high, "起诉", 7, 9}}},
		{"regex and term hits in text order", "以后不会再来了，我要起诉", high, []riskHit{
			{"re:以后不(会)?(再)?(买|来)了", "churn", med, "以后不会再来了", 0, 7}, {"起诉", "legal", high, "起诉", 10, 12}}},
		{"no risk", "物流很快", none, nil},
		{"empty", "", none, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.run(t, tc.text).risk
			if r.Level != tc.level {
				t.Errorf("level of %q = %s, want %s", tc.text, r.Level, tc.level)
			}
			if got := riskHitsOf(tc.text, r); fmt.Sprint(got) != fmt.Sprint(tc.hits) {
				t.Errorf("risk hits of %q:\n got %+v\nwant %+v", tc.text, got, tc.hits)
			}
			checkRiskLevel(t, tc.text, r)
		})
	}
}

func TestNewRiskErrors(t *testing.T) {
	seg := mustShared(t).seg
	_, err := topics.NewRisk(seg, []lexicons.RiskTerm{{Term: "re:(起火", Category: "safety", Level: lexicons.LevelCritical}})
	if err == nil || !strings.Contains(err.Error(), "(起火") {
		t.Errorf("NewRisk with a bad pattern: error %v, want one naming the pattern", err)
	}
	r, err := topics.NewRisk(seg, nil)
	if err != nil {
		t.Fatalf("NewRisk(nil): %v", err)
	}
	d := seg.Segment("充电时冒烟")
	if got := r.Tag(d, mustShared(t).small.scorer.Score(d)); got.Level != lexicons.LevelNone || len(got.Hits) != 0 || got.Hits == nil {
		t.Errorf("empty risk list: %+v, want level none and an empty slice", got)
	}
}

// TestRiskDefault is the end-to-end set over the shipped risk list: each case
// names the document level and spans that a hit of the given category and
// level must cover (the exact term may grow or shrink as the list is tuned);
// other hits may come and go.
func TestRiskDefault(t *testing.T) {
	a := mustShared(t).def
	type want struct {
		category, level string
		start, end      int
	}
	for _, tc := range []struct {
		text, level string
		hits        []want
	}{
		{"充电时冒烟", lexicons.LevelCritical, []want{{"safety", lexicons.LevelCritical, 3, 5}}},
		{"充电器差点起火", lexicons.LevelCritical, []want{{"safety", lexicons.LevelCritical, 5, 7}}},
		{"手机爆炸了", lexicons.LevelCritical, []want{{"safety", lexicons.LevelCritical, 2, 4}}},
		{"it caught fire", lexicons.LevelCritical, []want{{"safety", lexicons.LevelCritical, 3, 14}}},
		{"this is a scam", lexicons.LevelCritical, []want{{"fraud", lexicons.LevelCritical, 10, 14}}},
		{"我要起诉你们", lexicons.LevelHigh, []want{{"legal", lexicons.LevelHigh, 2, 4}}},
		{"I will report you to the BBB", lexicons.LevelHigh, []want{{"regulator", lexicons.LevelHigh, 7, 20}}},
		{"我要投诉到消协", lexicons.LevelHigh, []want{{"regulator", lexicons.LevelHigh, 5, 7}}},
		{"再也不买了", lexicons.LevelMedium, []want{{"churn", lexicons.LevelMedium, 0, 4}}},
		{"以后再也不会买了", lexicons.LevelMedium, []want{{"churn", lexicons.LevelMedium, 2, 7}}},
		{"I want to cancel my subscription", lexicons.LevelMedium, []want{{"churn", lexicons.LevelMedium, 10, 32}}},
		{"再不退款我就起诉", lexicons.LevelHigh, []want{{"legal", lexicons.LevelHigh, 6, 8}}},
		{"再不处理就起诉你们", lexicons.LevelHigh, []want{{"legal", lexicons.LevelHigh, 5, 7}}},
		{"差点起火，我要起诉你们", lexicons.LevelCritical, []want{{"safety", lexicons.LevelCritical, 2, 4}, {"legal", lexicons.LevelHigh, 7, 9}}},
		{"没有出现过起火", lexicons.LevelNone, nil},
		{"使用半年没有出现过起火的情况", lexicons.LevelNone, nil},
		{"还好没有冒烟", lexicons.LevelNone, nil},
		{"this is not a scam", lexicons.LevelNone, nil},
		{"担心会起火", lexicons.LevelNone, nil},
		{"if it catches fire", lexicons.LevelNone, nil},
		{"物流很快，但是客服态度太差了", lexicons.LevelNone, nil},
	} {
		r := a.run(t, tc.text).risk
		if r.Level != tc.level {
			t.Errorf("level of %q = %s (hits %+v), want %s", tc.text, r.Level, riskHitsOf(tc.text, r), tc.level)
		}
		for _, w := range tc.hits {
			found := false
			for _, h := range r.Hits {
				found = found || h.Category == w.category && h.Level == w.level && h.Start <= w.start && w.end <= h.End
			}
			if !found {
				t.Errorf("%q: no %s %s hit covers %q [%d,%d); hits %+v", tc.text, w.level, w.category,
					string([]rune(tc.text)[w.start:w.end]), w.start, w.end, riskHitsOf(tc.text, r))
			}
		}
		if tc.level == lexicons.LevelNone && len(r.Hits) != 0 {
			t.Errorf("%q: hits %+v, want none", tc.text, riskHitsOf(tc.text, r))
		}
		checkRiskLevel(t, tc.text, r)
	}
}

// TestTagConcurrent runs sentiment, risk and topics from many goroutines
// (under -race) and compares with a sequential run.
func TestTagConcurrent(t *testing.T) {
	f := mustShared(t)
	texts := []string{"物流很快，但是客服态度太差了", "充电器差点起火，我要起诉你们", "以后不会再来了", "盒子都压扁了", "這個價格太貴了"}
	key := func(r result) string { return fmt.Sprint(r.sent.Score, r.risk, r.mentions) }
	want := make([]string, len(texts))
	for i, s := range texts {
		want[i] = key(f.small.run(t, s))
	}
	got := make([]string, 8*len(texts))
	var wg sync.WaitGroup
	for g := range 8 {
		for i, s := range texts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[g*len(texts)+i] = key(f.small.run(t, s))
			}()
		}
	}
	wg.Wait()
	for k, g := range got {
		if g != want[k%len(texts)] {
			t.Errorf("concurrent run of %q = %s, want %s", texts[k%len(texts)], g, want[k%len(texts)])
		}
	}
}
