package sentiment_test

import (
	"math"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/segment"
	"github.com/vocal-dev/vocal/sentiment"
)

// TestScoreMechanisms runs the scorer over the small test lexicons: label and
// every hit with its exact span and modifiers.
func TestScoreMechanisms(t *testing.T) {
	f := mustShared(t)
	for _, tc := range []struct {
		name, text, label string
		hits              []hit
	}{
		{"plain term", "好", sentiment.Positive, []hit{{"好", "好", 0, 1, nil}}},
		{"intensifier", "很好", sentiment.Positive, []hit{{"好", "好", 1, 2, []string{"很"}}}},
		{"two-character intensifier", "非常满意", sentiment.Positive, []hit{{"满意", "满意", 2, 4, []string{"非常"}}}},
		{"diminisher", "有点好", sentiment.Positive, []hit{{"好", "好", 2, 3, []string{"有点"}}}},
		{"negation across an intensifier", "不是很好", sentiment.Negative, []hit{{"好", "好", 3, 4, []string{"不是", "很"}}}},
		{"double negation", "不是不喜欢", sentiment.Positive, []hit{{"喜欢", "喜欢", 3, 5, []string{"不是", "不"}}}},
		{"English negation", "not good", sentiment.Negative, []hit{{"good", "good", 4, 8, []string{"not"}}}},
		{"English weak negation", "not very good", sentiment.Negative, []hit{{"good", "good", 9, 13, []string{"not", "very"}}}},
		{"no longer", "It no longer works", sentiment.Negative, []hit{{"works", "works", 13, 18, []string{"no longer"}}}},
		{"never", "I will never be happy", sentiment.Negative, []hit{{"happy", "happy", 16, 21, []string{"never"}}}},
		{"traditional text", "這個很好", sentiment.Positive, []hit{{"好", "好", 3, 4, []string{"很"}}}},
		{"folded repeat is one emphasised hit", "好好好好", sentiment.Positive, []hit{{"好", "好好好好", 0, 4, nil}}},
		{"full-width", "ＧＯＯＤ！", sentiment.Positive, []hit{{"good", "ＧＯＯＤ", 0, 4, nil}}},
		{"contrast: the clause after 但是 decides", "东西不错，但是物流慢", sentiment.Negative,
			[]hit{{"不错", "不错", 2, 4, nil}, {"慢", "慢", 9, 10, nil}}},
		{"contrast the other way round", "物流慢，但是东西不错", sentiment.Positive,
			[]hit{{"慢", "慢", 2, 3, nil}, {"不错", "不错", 8, 10, nil}}},
		{"English contrast", "It works but slow", sentiment.Negative,
			[]hit{{"works", "works", 3, 8, nil}, {"slow", "slow", 13, 17, nil}}},
		{"concession", "虽然贵但是好用", sentiment.Positive, []hit{{"贵", "贵", 2, 3, nil}, {"好用", "好用", 5, 7, nil}}},
		{"concession the other way round", "虽然好用但是贵", sentiment.Negative, []hit{{"好用", "好用", 2, 4, nil}, {"贵", "贵", 6, 7, nil}}},
		{"rhetorical question without a term", "这也叫快递?", sentiment.Negative, nil},
		{"rhetorical question, full-width mark", "这也叫快递？", sentiment.Negative, nil},
		{"rhetorical question flips a term", "you call this good?", sentiment.Negative, []hit{{"good", "good", 14, 18, nil}}},
		{"scare quotes", `真是太"好用"了`, sentiment.Negative, []hit{{"好用", "好用", 4, 6, nil}}},
		{"curly scare quotes", "真是太“好用”了", sentiment.Negative, []hit{{"好用", "好用", 4, 6, nil}}},
		{"blocker: 快递 hides 快", "快递到了", sentiment.Neutral, nil},
		{"blocker leaves a later 快", "快递到了，真快", sentiment.Positive, []hit{{"快", "快", 6, 7, nil}}},
		{"emoji positive", "👍", sentiment.Positive, []hit{{"👍", "👍", 0, 1, nil}}},
		{"emoji negative", "😡😡", sentiment.Negative, []hit{{"😡", "😡", 0, 1, nil}, {"😡", "😡", 1, 2, nil}}},
		{"emoji after text", "好👍", sentiment.Positive, []hit{{"好", "好", 0, 1, nil}, {"👍", "👍", 1, 2, nil}}},
		{"plain question", "好用吗？", sentiment.Neutral, []hit{{"好用", "好用", 0, 2, nil}}},
		{"no sentiment word", "我昨天买的", sentiment.Neutral, nil},
		{"empty", "", sentiment.Neutral, nil},
		{"blank", " \n ", sentiment.Neutral, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, r := score(t, f.small, tc.text)
			if r.Label != tc.label {
				t.Errorf("Label(%q) = %s (score %v), want %s", tc.text, r.Label, r.Score, tc.label)
			}
			if got := hitsOf(d, r); !equalHits(got, tc.hits) {
				t.Errorf("hits of %q:\n got %+v\nwant %+v", tc.text, got, tc.hits)
			}
			for _, h := range r.Hits {
				if h.Value == 0 {
					t.Errorf("hit %q has value 0", h.Term)
				}
			}
		})
	}
}

// TestScoreValues checks how modifiers change a term's value, as the
// modifier file defines them: a degree word multiplies by its weight, a
// negator by its (negative) weight.
func TestScoreValues(t *testing.T) {
	f := mustShared(t)
	for _, tc := range []struct {
		text  string
		value float64
	}{
		{"好", 2},
		{"很好", 2 * 1.3},
		{"非常满意", 2 * 1.5},
		{"有点好", 2 * 0.6},
		{"not good", 2 * -0.75},
		{"It no longer works", 1 * -0.8},
		{"I will never be happy", 2 * -0.8},
		{"不是不喜欢", 1.5}, // two negators cancel
	} {
		_, r := score(t, f.small, tc.text)
		if len(r.Hits) != 1 || math.Abs(r.Hits[0].Value-tc.value) > 1e-9 {
			t.Errorf("hits of %q = %+v, want one of value %v", tc.text, r.Hits, tc.value)
		}
	}
}

// TestScoreOrder compares document scores: each pair is (higher, lower).
func TestScoreOrder(t *testing.T) {
	f := mustShared(t)
	for _, tc := range []struct {
		name          string
		scorer        *sentiment.Scorer
		higher, lower string
		sameSign      bool
	}{
		{"intensifier raises", f.small, "很好", "好", true},
		{"diminisher lowers", f.small, "好", "有点好", true},
		{"repeats emphasise", f.small, "好好好好", "好", true},
		{"exclamation emphasises", f.small, "好用！", "好用", true},
		{"negation across an intensifier is weaker", f.small, "不是很好", "不是好", true},
		{"English weak negation", f.small, "not very good", "not good", true},
		{"a question damps", f.small, "好用", "好用吗？", true},
		{"default: 很好 > 好", f.def, "很好", "好", true},
		{"default: 好 > 有点好", f.def, "好", "有点好", true},
		{"default: 不是很好 is weaker than 不好", f.def, "不是很好", "不好", true},
		{"default: not very good is weaker than not good", f.def, "not very good", "not good", true},
		{"default: 很好用 > 好用", f.def, "很好用", "好用", true},
		{"default: a question damps", f.def, "好用", "好用吗？", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, hi := score(t, tc.scorer, tc.higher)
			_, lo := score(t, tc.scorer, tc.lower)
			if !(hi.Score > lo.Score) {
				t.Errorf("score(%q) = %v, want above score(%q) = %v", tc.higher, hi.Score, tc.lower, lo.Score)
			}
			if tc.sameSign && math.Signbit(hi.Score) != math.Signbit(lo.Score) {
				t.Errorf("score(%q) = %v and score(%q) = %v differ in sign", tc.higher, hi.Score, tc.lower, lo.Score)
			}
		})
	}
}

// TestScoreClauseWeights checks the clause-level rules of the contrast and
// concession connectives.
func TestScoreClauseWeights(t *testing.T) {
	f := mustShared(t)
	for _, tc := range []struct {
		text    string
		heavier int // index of the clause that must weigh most
	}{
		{"东西不错，但是物流慢", 1},
		{"物流慢，但是东西不错", 1},
		{"虽然贵但是好用", 1},
		{"It works but slow", 1},
	} {
		_, r := score(t, f.small, tc.text)
		if len(r.Clauses) < 2 {
			t.Fatalf("%q: %d clauses", tc.text, len(r.Clauses))
		}
		for i, c := range r.Clauses {
			if i != tc.heavier && !(c.Weight < r.Clauses[tc.heavier].Weight) {
				t.Errorf("%q: clause %d weighs %v, want less than clause %d (%v)", tc.text, i, c.Weight, tc.heavier, r.Clauses[tc.heavier].Weight)
			}
			if !c.Fired {
				t.Errorf("%q: clause %d did not fire", tc.text, i)
			}
		}
	}
	// The rhetorical clause fires with no term and scores negative.
	_, r := score(t, f.small, "这也叫快递?")
	if len(r.Clauses) != 1 || !r.Clauses[0].Fired || r.Clauses[0].Score >= 0 {
		t.Errorf("这也叫快递? clauses = %+v, want one fired negative clause", r.Clauses)
	}
	var rhetorical bool
	for _, m := range r.Markers {
		rhetorical = rhetorical || (m.Kind == lexicons.Rhetorical && m.Term == "这也叫" && m.NStart == 0 && m.NEnd == 3)
	}
	if !rhetorical {
		t.Errorf("markers %+v, want rhetorical 这也叫 at [0,3)", r.Markers)
	}
}

// TestScoreDefault is the end-to-end set over the shipped lexicons: the
// label, and original spans some hit must cover (the exact term may change
// as the lexicons are tuned).
func TestScoreDefault(t *testing.T) {
	f := mustShared(t)
	for _, tc := range []struct {
		text, label string
		covers      [][2]int
	}{
		{"不好用", sentiment.Negative, [][2]int{{0, 3}}},
		{"不好", sentiment.Negative, [][2]int{{0, 2}}},
		{"不是很好", sentiment.Negative, [][2]int{{3, 4}}},
		{"not good", sentiment.Negative, [][2]int{{4, 8}}},
		{"never again", sentiment.Negative, [][2]int{{0, 11}}},
		{"It no longer works", sentiment.Negative, [][2]int{{13, 18}}},
		{"不是不好", sentiment.Positive, [][2]int{{3, 4}}},
		{"很好", sentiment.Positive, [][2]int{{1, 2}}},
		{"有点好", sentiment.Positive, [][2]int{{2, 3}}},
		{"东西不错，但是物流太慢了", sentiment.Negative, [][2]int{{2, 4}, {10, 11}}},
		{"物流太慢了，但是东西不错", sentiment.Positive, [][2]int{{3, 4}, {10, 12}}},
		{"The product is good but delivery was terrible", sentiment.Negative, [][2]int{{15, 19}, {37, 45}}},
		{"虽然贵但是好用", sentiment.Positive, [][2]int{{2, 3}, {5, 7}}},
		{"这也叫快递?", sentiment.Negative, nil},
		{"这也叫快递？", sentiment.Negative, nil},
		{`真是太"好用"了`, sentiment.Negative, [][2]int{{4, 6}}},
		{"👍", sentiment.Positive, [][2]int{{0, 1}}},
		{"😡", sentiment.Negative, [][2]int{{0, 1}}},
		{"😡😡😡", sentiment.Negative, [][2]int{{0, 1}, {1, 2}, {2, 3}}},
		{"這個價錢太貴了", sentiment.Negative, [][2]int{{5, 6}}},
		{"这个怎么用？", sentiment.Neutral, nil},
		{"好用吗？", sentiment.Neutral, nil},
		{"Is the battery good?", sentiment.Neutral, nil},
		{"快递到了", sentiment.Neutral, nil},
		{"", sentiment.Neutral, nil},
	} {
		d, r := score(t, f.def, tc.text)
		if r.Label != tc.label {
			t.Errorf("Label(%q) = %s (score %v, hits %+v), want %s", tc.text, r.Label, r.Score, hitsOf(d, r), tc.label)
		}
		for _, span := range tc.covers {
			found := false
			for _, h := range r.Hits {
				found = found || (h.Start <= span[0] && span[1] <= h.End)
			}
			if !found {
				t.Errorf("%q: no hit covers %q %v; hits %+v", tc.text, []rune(tc.text)[span[0]:span[1]], span, hitsOf(d, r))
			}
		}
	}
}

func TestScoreEmpty(t *testing.T) {
	f := mustShared(t)
	for _, sc := range []*sentiment.Scorer{f.small, f.def} {
		for _, text := range []string{"", "   ", "。。。", "\n"} {
			_, r := score(t, sc, text)
			if r.Score != 0 || r.Label != sentiment.Neutral || len(r.Hits) != 0 {
				t.Errorf("Score(%q) = %s %v with %d hits, want neutral 0 and no hits", text, r.Label, r.Score, len(r.Hits))
			}
		}
	}
}

// TestScoreInvariants: every score in [-1, 1], clause results indexed like the
// clauses, every hit inside the original text with its term's weight.
func TestScoreInvariants(t *testing.T) {
	f := mustShared(t)
	texts := []string{
		"好好好好好好！！！非常非常非常好，太棒了太棒了太棒了，完美完美完美👍👍👍👍👍",
		"垃圾垃圾垃圾！！！差评差评差评，骗子骗子，😡😡😡😡😡😡 never again, worst ever!!!",
		"不不不不不不好", "not not not not good", "但是但是但是，虽然虽然", "这也叫快递???这也叫客服???",
		"物流很快，但是客服态度太差了", "iPhone 15 Pro发热严重, battery drains fast", "<b>很好</b> https://x.cn @a #好#",
		"\xff\xfe好", "“好用”「不错」'ok'", "",
	}
	for _, sc := range []*sentiment.Scorer{f.small, f.def} {
		for _, text := range texts {
			d, r := score(t, sc, text)
			if r.Score < -1 || r.Score > 1 || math.IsNaN(r.Score) {
				t.Errorf("Score(%q) = %v outside [-1, 1]", text, r.Score)
			}
			if len(r.Clauses) != len(d.Clauses) {
				t.Errorf("%q: %d clause scores for %d clauses", text, len(r.Clauses), len(d.Clauses))
			}
			for i, c := range r.Clauses {
				if c.Score < -1 || c.Score > 1 || math.IsNaN(c.Score) {
					t.Errorf("%q: clause %d score %v outside [-1, 1]", text, i, c.Score)
				}
			}
			for _, h := range r.Hits {
				if h.Start < 0 || h.Start >= h.End || h.End > d.OriginalLen() || h.Clause < 0 || h.Clause >= len(d.Clauses) {
					t.Errorf("%q: hit %+v out of range (%d runes, %d clauses)", text, h, d.OriginalLen(), len(d.Clauses))
				}
			}
		}
	}
}

// TestScorePureAndConcurrent: Score does not change its Doc, and one Scorer
// gives the same results from many goroutines (run with -race).
func TestScorePureAndConcurrent(t *testing.T) {
	f := mustShared(t)
	texts := []string{"物流很快，但是客服态度太差了", "虽然贵但是好用", "这也叫快递?", "not very good", "好好好好👍", `真是太"好用"了`}
	want := make([]sentiment.Result, len(texts))
	for i, s := range texts {
		d := f.seg.Segment(s)
		before := *d
		before.Tokens = append([]segment.Token(nil), d.Tokens...)
		want[i] = f.def.Score(d)
		if !reflect.DeepEqual(before.Tokens, d.Tokens) || d.NormString() != before.NormString() || !reflect.DeepEqual(before.Clauses, d.Clauses) {
			t.Errorf("Score(%q) changed its Doc", s)
		}
	}
	got := make([]sentiment.Result, 8*len(texts))
	var wg sync.WaitGroup
	for g := range 8 {
		for i, s := range texts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[g*len(texts)+i] = f.def.Score(f.seg.Segment(s))
			}()
		}
	}
	wg.Wait()
	for k, r := range got {
		if w := want[k%len(texts)]; !reflect.DeepEqual(r, w) {
			t.Errorf("concurrent Score(%q) = %+v, want %+v", texts[k%len(texts)], r, w)
		}
	}
}

// TestNeutralBand: the document band labels the document score, the aspect
// band the clause and aspect scores (LabelOf); neither changes a score.
func TestNeutralBand(t *testing.T) {
	f := mustShared(t)
	set, err := lexicons.Load(smallLexicons)
	if err != nil {
		t.Fatal(err)
	}
	wide := sentiment.New(f.seg, set, sentiment.WithNeutralBand(0.9, 0.2))
	_, narrow := score(t, f.small, "好")
	_, r := score(t, wide, "好")
	if narrow.Label != sentiment.Positive || r.Label != sentiment.Neutral || r.Score != narrow.Score {
		t.Errorf("好: default bands %s %v, document band 0.9 %s %v; want positive then neutral with the same score",
			narrow.Label, narrow.Score, r.Label, r.Score)
	}
	for score, want := range map[float64]string{0.95: sentiment.Positive, -0.95: sentiment.Negative, 0.5: sentiment.Positive,
		-0.5: sentiment.Negative, 0.15: sentiment.Neutral, -0.15: sentiment.Neutral} {
		if got := wide.LabelOf(score); got != want {
			t.Errorf("LabelOf(%v) with aspect band 0.2 = %s, want %s", score, got, want)
		}
	}
}

// TestTurns: contrast and concession connectives turn, other leads do not.
func TestTurns(t *testing.T) {
	sc := mustShared(t).small
	for lead, want := range map[string]bool{"但是": true, "but": true, "虽然": true, "although": true, "": false, "很": false, "好": false} {
		if got := sc.Turns(lead); got != want {
			t.Errorf("Turns(%q) = %v, want %v", lead, got, want)
		}
	}
}

// TestScoreEnquiry checks that a question or request naming only facts is
// neutral, while insistence or an evaluative word keeps a complaint.
func TestScoreEnquiry(t *testing.T) {
	f := mustShared(t)
	for _, tc := range []struct {
		text    string
		label   string
		enquiry bool
		facts   []string // hits tagged fact
	}{
		{"我的银行卡昨天被盗刷了，请问要怎么挂失？", sentiment.Neutral, true, []string{"被盗刷"}},
		{"退款什么时候到账？", sentiment.Neutral, true, []string{"退款"}},
		{"请帮我注销账户，谢谢。", sentiment.Neutral, true, []string{"谢谢"}},
		{"请问这款有黑色吗", sentiment.Neutral, true, nil},
		{"How do I cancel my plan? Thanks", sentiment.Neutral, true, []string{"cancel", "thanks"}},
		{"My card was stolen yesterday. How do I block it?", sentiment.Neutral, true, []string{"stolen"}},
		// insistence: repeat, rhetorical and degree markers, ?? and !!
		{"我的卡又被盗刷了，请问怎么办？", sentiment.Negative, false, []string{"被盗刷"}},
		{"到底什么时候发货？", sentiment.Negative, false, nil},
		{"怎么这么慢？", sentiment.Negative, false, nil},
		{"退款什么时候到账？？", sentiment.Negative, false, []string{"退款"}},
		{"Why was I charged again?", sentiment.Negative, false, []string{"charged"}},
		{"Why is shipping this slow??", sentiment.Negative, false, nil},
		// an evaluative word outside the question decides
		{"质量太差了，请问怎么退货？", sentiment.Negative, false, nil},
		{"The app is great, can you add dark mode?", sentiment.Positive, false, nil},
		// no question or request: a reported fact stays a complaint
		{"卡被盗刷了", sentiment.Negative, false, []string{"被盗刷"}},
	} {
		d, r := score(t, f.def, tc.text)
		if r.Label != tc.label || r.Enquiry != tc.enquiry {
			t.Errorf("%q: label %s enquiry %v (score %v, hits %+v), want %s %v", tc.text, r.Label, r.Enquiry, r.Score, hitsOf(d, r), tc.label, tc.enquiry)
		}
		var facts []string
		for _, h := range r.Hits {
			if h.Fact {
				facts = append(facts, h.Term)
			}
		}
		if !slices.Equal(facts, tc.facts) {
			t.Errorf("%q: fact hits %q, want %q", tc.text, facts, tc.facts)
		}
	}
}
