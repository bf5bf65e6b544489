package segment_test

import (
	"slices"
	"testing"

	"github.com/vocal-dev/vocal/segment"
)

// match is what a test expects of one Match: the term's index, the original
// text of its span and its original rune offsets.
type match struct {
	id         int
	evidence   string
	start, end int
}

func findAll(seg *segment.Segmenter, m *segment.Matcher, text string) []match {
	d := seg.Segment(text)
	var out []match
	for _, mt := range m.Find(d) {
		start, end := d.Span(mt.Start, mt.End)
		out = append(out, match{mt.ID, origSpan(d, start, end), start, end})
	}
	return out
}

func TestMatcherFind(t *testing.T) {
	seg := testSegmenter(t)
	for _, tc := range []struct {
		name  string
		terms []string
		text  string
		want  []match
	}{
		{"leftmost-longest, then non-overlapping", []string{"快", "快递", "递很"}, "快递很快",
			[]match{{1, "快递", 0, 2}, {0, "快", 3, 4}}},
		{"longest at the same start", []string{"物流", "物流很快", "很快"}, "物流很快，很快",
			[]match{{1, "物流很快", 0, 4}, {2, "很快", 5, 7}}},
		{"leftmost wins over longer later", []string{"价格", "格外好"}, "价格外好",
			[]match{{0, "价格", 0, 2}}},
		{"English only at word boundaries", []string{"good"}, "goodness good ngood good!",
			[]match{{0, "good", 9, 13}, {0, "good", 20, 24}}},
		{"multi-word terms do not overlap", []string{"a b", "b c"}, "a b c",
			[]match{{0, "a b", 0, 3}}},
		{"trailing * is an English prefix", []string{"deliver*", "late"}, "Delivered late, deliverance, undelivered",
			[]match{{0, "Deliver", 0, 7}, {1, "late", 10, 14}, {0, "deliver", 16, 23}}},
		{"* after punctuation is literal: emoticons", []string{":*", ":-*", "*sigh*"}, "note: (a) :* ok :-* *sigh*",
			[]match{{0, ":*", 10, 12}, {1, ":-*", 16, 19}, {2, "*sigh*", 20, 26}}},
		{"digits are word characters", []string{"5g", "618"}, "5G信号 6180 618活动",
			[]match{{0, "5G", 0, 2}, {1, "618", 10, 13}}},
		{"Han terms match inside words without alignment", []string{"品质"}, "产品质量",
			[]match{{0, "品质", 1, 3}}},
		{"traditional text, simplified term, original evidence", []string{"这个价钱"}, "這個價錢太貴了",
			[]match{{0, "這個價錢", 0, 4}}},
		{"traditional term matches simplified text", []string{"價錢"}, "这个价钱太贵了",
			[]match{{0, "价钱", 2, 4}}},
		{"full-width and upper-case terms", []string{"ＯＫ", "GOOD"}, "ok啦, Good!",
			[]match{{0, "ok", 0, 2}, {1, "Good", 5, 9}}},
		{"full-width text", []string{"abc123", "好"}, "ＡＢＣ１２３，好！",
			[]match{{0, "ＡＢＣ１２３", 0, 6}, {1, "好", 7, 8}}},
		{"folded repeat matches with its whole run", []string{"好"}, "太好好好了",
			[]match{{0, "好好好", 1, 4}}},
		{"a term that folds shorter is dropped", []string{"好好好"}, "好好好好", nil},
		{"Latin repeat folds before matching", []string{"good"}, "soooo goooood",
			[]match{{0, "goooood", 6, 13}}},
		{"same term twice: the later wins", []string{"好", "好"}, "好", []match{{1, "好", 0, 1}}},
		{"normalized spelling wins over a folded one", []string{"价钱", "價錢"}, "價錢", []match{{0, "價錢", 0, 2}}},
		{"normalized spelling wins when later", []string{"價錢", "价钱"}, "价钱", []match{{1, "价钱", 0, 2}}},
		{"case alone does not make a spelling win", []string{"good", "GOOD"}, "good", []match{{1, "good", 0, 4}}},
		{"emoji", []string{"👍", "😡"}, "好👍👍😡", []match{{0, "👍", 1, 2}, {0, "👍", 2, 3}, {1, "😡", 3, 4}}},
		{"no terms", nil, "好", nil},
		{"empty text", []string{"好"}, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := findAll(seg, seg.NewMatcher(tc.terms), tc.text)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Find(%q) in %q:\n got %+v\nwant %+v", tc.terms, tc.text, got, tc.want)
			}
		})
	}
}

// TestAlignToWords checks Han matches against gse word boundaries. Each case
// first asserts the gse words it relies on, so a dictionary change shows up
// as such rather than as a matcher failure.
func TestAlignToWords(t *testing.T) {
	seg := testSegmenter(t)
	for _, tc := range []struct {
		name               string
		text               string
		words              []string // gse words of text
		terms              []string
		prefixes, suffixes []string
		want               []match
	}{
		{"match ending inside a word is rejected", "客服态度", []string{"客服", "态度"}, []string{"客"}, nil, []string{"了"}, nil},
		{"match starting inside a word is rejected", "三小时", []string{"三", "小时"}, []string{"小"}, nil, nil, nil},
		{"a match across two words is rejected", "客服态度", []string{"客服", "态度"}, []string{"服态"}, nil, nil, nil},
		{"whole words next to rejected ones are kept", "客服态度", []string{"客服", "态度"}, []string{"服态", "态度"}, nil, nil,
			[]match{{1, "态度", 2, 4}}},
		{"start inside a word accepted when the rest is a glue prefix", "真好", []string{"真好"}, []string{"好"}, []string{"真"}, nil,
			[]match{{0, "好", 1, 2}}},
		{"start inside a word rejected without that prefix", "真好", []string{"真好"}, []string{"好"}, []string{"很"}, nil, nil},
		{"end inside a word accepted when the rest is a glue suffix", "太棒了", []string{"太棒了"}, []string{"太棒"}, nil, []string{"了"},
			[]match{{0, "太棒", 0, 2}}},
		{"end inside a word rejected without that suffix", "太棒了", []string{"太棒了"}, []string{"太棒"}, nil, []string{"的"}, nil},
		{"matches on word boundaries are kept", "很好 好了", []string{"很", "好", "好", "了"}, []string{"好"}, nil, nil,
			[]match{{0, "好", 1, 2}, {0, "好", 3, 4}}},
		{"whole words always match", "产品质量", []string{"产品质量"}, []string{"产品质量", "品质"}, nil, nil,
			[]match{{0, "产品质量", 0, 4}}},
		{"cross-word Han look-alike is dropped", "产品质量", []string{"产品质量"}, []string{"品质"}, nil, nil, nil},
		{"Latin tokens are not affected", "goodness good", []string{}, []string{"good"}, nil, nil,
			[]match{{0, "good", 9, 13}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := seg.Segment(tc.text)
			var words []string
			for _, tk := range d.Tokens {
				if tk.Kind == segment.Word && tk.Text != "" && []rune(tk.Text)[0] >= 0x3000 {
					words = append(words, tk.Text)
				}
			}
			if !slices.Equal(words, tc.words) && len(tc.words) > 0 {
				t.Fatalf("gse words of %q = %q, want %q (the case relies on them)", tc.text, words, tc.words)
			}
			m := seg.NewMatcher(tc.terms, segment.AlignToWords(tc.prefixes, tc.suffixes))
			if got := findAll(seg, m, tc.text); !slices.Equal(got, tc.want) {
				t.Errorf("Find(%q) in %q:\n got %+v\nwant %+v", tc.terms, tc.text, got, tc.want)
			}
		})
	}
}

// TestMatcherConnectives checks the connective matcher the segmenter builds
// from its config: the clause Lead is the normalized connective.
func TestMatcherConnectives(t *testing.T) {
	seg := testSegmenter(t)
	for _, tc := range []struct{ text, lead string }{
		{"东西不错，但是物流太慢了", "但是"},
		{"东西不错，不過物流太慢了", "不过"}, // Traditional connective
		{"Nice, BUT slow", "but"},
		{"nice. However slow", "however"},
	} {
		d := seg.Segment(tc.text)
		if len(d.Clauses) != 2 || d.Clauses[1].Lead != tc.lead {
			t.Errorf("clauses of %q = %+v, want 2 with the second led by %q", tc.text, d.Clauses, tc.lead)
		}
	}
}
