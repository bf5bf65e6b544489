package topics_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/sentiment"
	"github.com/vocal-dev/vocal/topics"
)

// mention is what a test expects of one topic Mention. An empty evidence or
// sentiment is not checked (cases whose polarity is still open). The
// cue is exact for the test lexicons, and a substring of the cue that fired
// for the shipped ones, whose patterns are being tuned.
type mention struct {
	topic, sentiment, cue string
	evidence              string
	start, end            int
}

func checkMentions(t *testing.T, text string, got []topics.Mention, want []mention, exactCue bool) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		g, w := got[i], want[i]
		ok = g.Topic == w.topic && (g.Cue == w.cue || !exactCue && strings.Contains(g.Cue, w.cue)) &&
			(w.sentiment == "" || g.Sentiment == w.sentiment) &&
			(w.evidence == "" || g.Evidence == w.evidence && g.Start == w.start && g.End == w.end)
	}
	if !ok {
		var b strings.Builder
		for _, m := range got {
			fmt.Fprintf(&b, "\n    %s %s cue=%q evidence=%q [%d,%d)", m.Topic, m.Sentiment, m.Cue, m.Evidence, m.Start, m.End)
		}
		t.Errorf("mentions of %q:%s\nwant %+v", text, b.String(), want)
	}
	rs := []rune(text)
	for _, m := range got {
		if m.Start < 0 || m.Start > m.End || m.End > len(rs) || string(rs[m.Start:m.End]) != m.Evidence {
			t.Errorf("%q: mention %+v: evidence is not the original text at its offsets", text, m)
		}
		if m.Score < -1 || m.Score > 1 {
			t.Errorf("%q: mention %+v: score outside [-1, 1]", text, m)
		}
	}
}

const (
	pos = sentiment.Positive
	neg = sentiment.Negative
	neu = sentiment.Neutral
)

// TestTagMechanisms runs the custom taxonomy and small lexicons of
// helpers_test.go: a taxonomy written in YAML, a packaging topic that no code
// knows, cues, patterns, exclusions and clause polarity.
func TestTagMechanisms(t *testing.T) {
	a := mustShared(t).small
	for _, tc := range []struct {
		name, text string
		want       []mention
	}{
		{"aspect polarity from its own clause", "物流很快，但是客服态度太差了", []mention{
			{"logistics", pos, "物流", "物流很快", 0, 4}, {"service_attitude", neg, "客服", "客服态度太差了", 7, 14}}},
		{"one mention per topic per clause", "物流和快递都很快", []mention{{"logistics", pos, "物流", "物流和快递都很快", 0, 8}}},
		{"one per clause, two clauses", "物流很快，快递也很好", []mention{
			{"logistics", pos, "物流", "物流很快", 0, 4}, {"logistics", pos, "快递", "快递也很好", 5, 10}}},
		{"two topics in one clause, taxonomy order", "客服说价格很便宜", []mention{
			{"price", pos, "价格", "客服说价格很便宜", 0, 8}, {"service_attitude", pos, "客服", "客服说价格很便宜", 0, 8}}},
		{"exclusion: 贵公司 is not price", "贵公司的客服很好", []mention{{"service_attitude", pos, "客服", "贵公司的客服很好", 0, 8}}},
		{"exclusion: 宝贵 is not price", "谢谢宝贵的意见", nil},
		{"exclusion: 快递员态度 hides both cues", "快递员态度", nil},
		{"price cue", "这个价格真贵", []mention{{"price", neg, "价格", "这个价格真贵", 0, 6}}},
		{"English cue at word boundaries", "priceless, but the price is fine", []mention{{"price", "", "price", "the price is fine", 15, 32}}},
		{"English prefix cue", "Delivered late", []mention{{"logistics", "", "deliver", "Delivered late", 0, 14}}},
		{"implicit: waited half a month", "等了半个月才到", []mention{{"logistics", "", "等了半个月才到", "等了半个月才到", 0, 7}}},
		{"implicit: took two weeks", "It took two weeks to arrive.", []mention{{"logistics", "", "took two weeks to arrive", "It took two weeks to arrive", 0, 27}}},
		{"implicit: called five times", "打了五次电话没人接", []mention{{"service_attitude", "", "打了五次电话", "打了五次电话没人接", 0, 9}}},
		{"implicit: money spent", "花了两百块，好用", []mention{
			{"price", pos, "花了两百块", "花了两百块", 0, 5}, {"function", pos, "好用", "好用", 6, 8}}},
		{"new topic from YAML, cue", "包装很好", []mention{{"packaging", pos, "包装", "包装很好", 0, 4}}},
		{"new topic from YAML, pattern", "盒子都压扁了", []mention{{"packaging", "", "盒子都压扁了", "盒子都压扁了", 0, 6}}},
		{"new topic from YAML, English", "Nice packaging but slow shipping", []mention{
			{"packaging", pos, "packaging", "Nice packaging", 0, 14}, {"logistics", neg, "shipping", "slow shipping", 19, 32}}},
		{"a clause without a sentiment word takes the next one's", "快递，太慢了", []mention{{"logistics", neg, "快递", "快递", 0, 2}}},
		{"across a contrast a clause takes the opposite", "价格是这个价格，但是东西不错", []mention{
			{"price", neg, "价格", "价格是这个价格", 0, 7}}},
		{"before a contrast, opposite of the other topic's clause", "价格一百块，但是物流太慢了", []mention{
			{"price", pos, "价格", "价格一百块", 0, 5}, {"logistics", neg, "物流", "物流太慢了", 8, 13}}},
		{"before a contrast, opposite in English", "Great price, but shipping was slow", []mention{
			{"price", pos, "price", "Great price", 0, 11}, {"logistics", neg, "shipping", "shipping was slow", 17, 34}}},
		{"traditional text, original evidence", "這個價格太貴了", []mention{{"price", neg, "价格", "這個價格太貴了", 0, 7}}},
		{"risk category implies a topic", "充电时冒烟", []mention{{"function", neg, "冒烟", "充电时冒烟", 0, 5}}},
		{"negated risk implies nothing", "充电时没有冒烟", nil},
		{"cue and risk in one clause: one mention", "充电器冒烟", []mention{{"function", neg, "充电器", "充电器冒烟", 0, 5}}},
		{"no topic", "我昨天买的", nil},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkMentions(t, tc.text, a.run(t, tc.text).mentions, tc.want, true)
		})
	}
}

func TestTaggerKeysAndErrors(t *testing.T) {
	f := mustShared(t)
	if got, want := f.small.tagger.Keys(), []string{"price", "function", "service_attitude", "logistics", "packaging"}; !slices.Equal(got, want) {
		t.Errorf("Keys() = %v, want %v", got, want)
	}
	bad := &lexicons.Taxonomy{Topics: []lexicons.Topic{{Key: "broken", Patterns: []string{"(unclosed"}}}}
	if _, err := topics.New(f.seg, f.small.scorer, bad); err == nil || !strings.Contains(err.Error(), "(unclosed") {
		t.Errorf("New with a bad pattern: error %v, want one naming the pattern", err)
	}
	// A taxonomy parsed from YAML at run time works without code changes.
	tax, err := lexicons.ParseTaxonomy("inline.yaml", []byte("topics:\n  - key: app_login\n    cues: [登录, log in]\n    patterns: ['登(录|陆)?不(上|了)']\n"))
	if err != nil {
		t.Fatal(err)
	}
	tg, err := topics.New(f.seg, f.small.scorer, tax)
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string][]mention{
		"又登不上了":                {{"app_login", "", "登不上", "又登不上了", 0, 5}},
		"I can't log in again": {{"app_login", "", "log in", "I can't log in again", 0, 20}},
		"物流很快":                 nil,
	} {
		d := f.seg.Segment(text)
		sent := f.small.scorer.Score(d)
		checkMentions(t, text, tg.Tag(d, sent, f.small.risk.Tag(d, sent)), want, true)
	}
}

// TestTagDefault is the end-to-end set over the shipped taxonomy: every
// default topic from explicit zh and en cues and from implicit patterns. Each
// case lists mentions that must be there (the shipped cues are being tuned,
// so other topics may join) and topics that must not.
func TestTagDefault(t *testing.T) {
	a := mustShared(t).def
	for _, tc := range []struct {
		name, text string
		want       []mention
		absent     []string
	}{
		// explicit cues
		{"price zh", "价格太贵了", []mention{{"price", neg, "价格", "价格太贵了", 0, 5}}, nil},
		{"price en", "way too expensive", []mention{{"price", neg, "too expensive", "way too expensive", 0, 17}}, nil},
		{"function zh", "质量很差", []mention{{"function", neg, "质量", "质量很差", 0, 4}}, nil},
		{"function en", "The quality is great", []mention{{"function", pos, "quality", "The quality is great", 0, 20}}, nil},
		{"service zh", "客服态度很好", []mention{{"service_attitude", pos, "客服", "客服态度很好", 0, 6}}, nil},
		{"service en", "customer service was rude", []mention{{"service_attitude", neg, "customer service", "customer service was rude", 0, 25}}, nil},
		{"logistics zh", "物流很快", []mention{{"logistics", pos, "物流", "物流很快", 0, 4}}, nil},
		{"logistics en", "shipping was fast", []mention{{"logistics", pos, "shipping", "shipping was fast", 0, 17}}, nil},
		{"traditional", "這個價錢太貴了", []mention{{"price", neg, "价钱", "這個價錢太貴了", 0, 7}}, nil},
		// implicit patterns
		{"price: money spent", "花了200块钱买了个寂寞", []mention{{"price", neg, "200块", "花了200块钱买了个寂寞", 0, 12}}, nil},
		{"price: dollars paid", "Paid $50 for this", []mention{{"price", neu, "$50", "Paid $50 for this", 0, 17}}, nil},
		{"price: 这个价位", "这个价位能买到这样的东西很值", []mention{{"price", pos, "价位", "这个价位能买到这样的东西很值", 0, 14}}, nil},
		{"function: died within days", "it died within three days", []mention{{"function", neg, "died within three days", "it died within three days", 0, 25}}, nil},
		{"function: battery hours", "充一次电只能撑三个小时", []mention{{"function", "", "只能撑三个小时", "充一次电只能撑三个小时", 0, 11}}, nil},
		{"function: fit", "runs a bit small", []mention{{"function", "", "runs a bit small", "runs a bit small", 0, 16}}, nil},
		{"service: five calls", "打了五次电话没人接", []mention{{"service_attitude", neg, "打了五次电话", "打了五次电话没人接", 0, 9}}, nil},
		{"service: waited for a reply", "等了两个小时没人回复", []mention{{"service_attitude", neg, "没人回", "等了两个小时没人回复", 0, 10}}, nil},
		{"service: transferred", "transferred me around 3 times", []mention{{"service_attitude", neg, "transferred me around 3 times", "transferred me around 3 times", 0, 29}}, nil},
		{"logistics: half a month", "等了半个月才到", []mention{{"logistics", neg, "等了半个月", "等了半个月才到", 0, 7}}, nil},
		{"logistics: took ten days", "took ten days to get here", []mention{{"logistics", "", "took ten days to get here", "took ten days to get here", 0, 25}}, nil},
		{"logistics: next day", "隔天就到了", []mention{{"logistics", "", "隔天就到", "隔天就到了", 0, 5}}, nil},
		// exclusions and aspects
		{"贵公司 is not price", "贵公司的客服很好", []mention{{"service_attitude", pos, "客服", "贵公司的客服很好", 0, 8}}, []string{"price"}},
		{"快递 is logistics, not a fast word", "快递到了", []mention{{"logistics", neu, "快递", "快递到了", 0, 4}}, nil},
		{"aspect polarity", "物流很快，但是客服态度太差了", []mention{
			{"logistics", pos, "物流", "物流很快", 0, 4}, {"service_attitude", neg, "客服", "客服态度太差了", 7, 14}}, nil},
		{"three aspects", "这个app很好用，物流也很快，客服态度也不错", []mention{
			{"function", pos, "好用", "这个app很好用", 0, 8}, {"logistics", pos, "物流", "物流也很快", 9, 14},
			{"service_attitude", pos, "客服", "客服态度也不错", 15, 22}}, nil},
		{"a connective inside a clause turns nothing", "快递倒是挺快，就是有点贵", []mention{
			{"logistics", pos, "快递", "快递", 0, 2}}, nil},
		{"contrast in English", "The product is good but delivery was terrible", []mention{
			{"logistics", neg, "deliver", "delivery was terrible", 24, 45}}, nil},
		{"risk implies function", "充电时冒烟", []mention{{"function", neg, "", "充电时冒烟", 0, 5}}, nil},
		{"no topic", "谢谢", nil, []string{"price", "function", "service_attitude", "logistics"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := a.run(t, tc.text).mentions
			for _, w := range tc.want {
				var match []topics.Mention
				for _, g := range got {
					if g.Topic == w.topic && (w.evidence == "" || g.Start == w.start) {
						match = append(match, g)
					}
				}
				if len(match) != 1 {
					checkMentions(t, tc.text, got, tc.want, false) // reports the whole list
					return
				}
				checkMentions(t, tc.text, match, []mention{w}, false)
			}
			for _, g := range got {
				if slices.Contains(tc.absent, g.Topic) {
					t.Errorf("%q: unexpected %s mention (cue %q)", tc.text, g.Topic, g.Cue)
				}
			}
		})
	}
}
