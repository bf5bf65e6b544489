package segment_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/vocal-dev/vocal/segment"
)

// TestNormalize checks the matching form of the text and its alignment: span
// gives, for some normalized rune indexes, the original runes [Pos, PosEnd)
// they cover; emph lists the normalized runes marked as folded repeats.
func TestNormalize(t *testing.T) {
	seg := testSegmenter(t)
	for _, tc := range []struct {
		name, text, norm string
		span             map[int][2]int
		emph             []int
	}{
		{name: "full-width letters, digits, punctuation", text: "ＡＢＣ１２３，好！", norm: "abc123,好!",
			span: map[int][2]int{0: {0, 1}, 5: {5, 6}, 6: {6, 7}, 8: {8, 9}}},
		{name: "ideographic space", text: "全角\u3000空格", norm: "全角 空格", span: map[int][2]int{2: {2, 3}}},
		{name: "traditional to simplified, one to one", text: "這個價錢太貴了", norm: "这个价钱太贵了",
			span: map[int][2]int{0: {0, 1}, 3: {3, 4}, 6: {6, 7}}},
		{name: "Han repeat folds to one rune over the run", text: "好好好好", norm: "好",
			span: map[int][2]int{0: {0, 4}}, emph: []int{0}},
		{name: "Han repeat inside a sentence", text: "今天好好好好开心", norm: "今天好开心",
			span: map[int][2]int{1: {1, 2}, 2: {2, 6}, 3: {6, 7}, 4: {7, 8}}, emph: []int{2}},
		{name: "two identical runes stay", text: "好好学习", norm: "好好学习", span: map[int][2]int{1: {1, 2}}},
		{name: "Latin repeat keeps two", text: "soooo good", norm: "soo good",
			span: map[int][2]int{0: {0, 1}, 1: {1, 2}, 2: {2, 5}, 3: {5, 6}, 4: {6, 7}}, emph: []int{1, 2}},
		{name: "upper-case repeat", text: "GOOOOD", norm: "good", span: map[int][2]int{2: {2, 5}, 3: {5, 6}}, emph: []int{1, 2}},
		{name: "digits and punctuation are not folded", text: "1111!!!", norm: "1111!!!", span: map[int][2]int{6: {6, 7}}},
		{name: "variation selector dropped", text: "❤️好", norm: "❤好", span: map[int][2]int{0: {0, 1}, 1: {2, 3}}},
		{name: "curly and corner quotes straightened", text: "“好用”「不错」", norm: `"好用""不错"`,
			span: map[int][2]int{0: {0, 1}, 3: {3, 4}, 4: {4, 5}}},
		{name: "control characters become spaces", text: "a\tb\nc", norm: "a b\nc", span: map[int][2]int{1: {1, 2}}},
		{name: "HTML tags and entities masked", text: "<b>很好</b>&amp;", norm: "   很好         ",
			span: map[int][2]int{3: {3, 4}, 4: {4, 5}}},
		{name: "empty", text: "", norm: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := seg.Segment(tc.text)
			if got := d.NormString(); got != tc.norm {
				t.Fatalf("NormString() = %q, want %q", got, tc.norm)
			}
			for i, want := range tc.span {
				if got := [2]int{int(d.Norm.Pos[i]), int(d.Norm.PosEnd[i])}; got != want {
					t.Errorf("normalized rune %d %q covers original %v, want %v", i, d.Norm.Runes[i], got, want)
				}
			}
			var emph []int
			for i, e := range d.Norm.Emph {
				if e {
					emph = append(emph, i)
				}
			}
			if !slices.Equal(emph, tc.emph) {
				t.Errorf("emphasised runes %v, want %v", emph, tc.emph)
			}
		})
	}
}

func TestTokens(t *testing.T) {
	seg := testSegmenter(t)
	const (
		W = segment.Word
		N = segment.Number
		P = segment.Punct
		E = segment.Emoji
	)
	for _, tc := range []struct {
		name, text string
		want       []tok
		subset     bool // want lists some tokens, in order, not all
	}{
		{name: "mixed sentence with model numbers", text: "A4L 5G版发热严重, battery drains fast", want: []tok{
			{"a4l", W, 0, 3, "A4L"}, {"5g", W, 4, 6, "5G"}, {"版", W, 6, 7, "版"}, {"发热", W, 7, 9, "发热"},
			{"严重", W, 9, 11, "严重"}, {",", P, 11, 12, ","}, {"battery", W, 13, 20, "battery"},
			{"drains", W, 21, 27, "drains"}, {"fast", W, 28, 32, "fast"}}},
		// Not asserted yet: "iPhone 15" as one token (mergeModelNumbers never
		// sees both words, which reach prose as separate runs).
		{name: "iPhone sentence, offsets after the model name", text: "iPhone 15 Pro发热严重, battery drains fast", subset: true, want: []tok{
			{"pro", W, 10, 13, "Pro"}, {"发热", W, 13, 15, "发热"}, {"严重", W, 15, 17, "严重"}, {",", P, 17, 18, ","},
			{"battery", W, 19, 26, "battery"}, {"drains", W, 27, 33, "drains"}, {"fast", W, 34, 38, "fast"}}},
		{name: "shopping festival number", text: "618买的", want: []tok{
			{"618", N, 0, 3, "618"}, {"买", W, 3, 4, "买"}, {"的", W, 4, 5, "的"}}},
		{name: "full-width", text: "ＡＢＣ１２３，好！", want: []tok{
			{"abc123", W, 0, 6, "ＡＢＣ１２３"}, {",", P, 6, 7, "，"}, {"好", W, 7, 8, "好"}, {"!", P, 8, 9, "！"}}},
		{name: "traditional keeps original offsets", text: "這個價錢太貴了", want: []tok{
			{"这个", W, 0, 2, "這個"}, {"价钱", W, 2, 4, "價錢"}, {"太贵", W, 4, 6, "太貴"}, {"了", W, 6, 7, "了"}}},
		{name: "folded repeat covers the run", text: "好好好好", want: []tok{{"好", W, 0, 4, "好好好好"}}},
		{name: "Latin repeat", text: "soooo good", want: []tok{{"soo", W, 0, 5, "soooo"}, {"good", W, 6, 10, "good"}}},
		{name: "emoji tokens", text: "太棒了😀😀", want: []tok{
			{"太棒了", W, 0, 3, "太棒了"}, {"😀", E, 3, 4, "😀"}, {"😀", E, 4, 5, "😀"}}},
		{name: "emoji only", text: "😡👍", want: []tok{{"😡", E, 0, 1, "😡"}, {"👍", E, 1, 2, "👍"}}},
		{name: "URL and mention are single tokens", text: "详情 https://example.com/a?b=1 @客服小美 你好", want: []tok{
			{"详情", W, 0, 2, "详情"}, {"", segment.URL, 3, 28, "https://example.com/a?b=1"},
			{"", segment.Mention, 29, 34, "@客服小美"}, {"你好", W, 35, 37, "你好"}}},
		{name: "English mention", text: "thanks @support_team!", want: []tok{
			{"thanks", W, 0, 6, "thanks"}, {"", segment.Mention, 7, 20, "@support_team"}, {"!", P, 20, 21, "!"}}},
		{name: "Weibo hashtag", text: "#双十一踩雷# 买贵了", want: []tok{
			{"#双十一踩雷#", segment.Hashtag, 0, 7, "#双十一踩雷#"}, {"买", W, 8, 9, "买"}, {"贵", W, 9, 10, "贵"}, {"了", W, 10, 11, "了"}}},
		{name: "Twitter hashtag", text: "#fail again", want: []tok{
			{"#fail", segment.Hashtag, 0, 5, "#fail"}, {"again", W, 6, 11, "again"}}},
		{name: "HTML masked", text: "<b>很好</b>", want: []tok{{"很", W, 3, 4, "很"}, {"好", W, 4, 5, "好"}}},
		{name: "blank", text: "  \n ", want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := seg.Segment(tc.text)
			if tc.subset {
				k := 0
				for _, got := range d.Tokens {
					if k < len(tc.want) && got.Start == tc.want[k].start {
						checkToken(t, d, got, tc.want[k])
						k++
					}
				}
				if k < len(tc.want) {
					t.Errorf("no token starts at %d (want %+v); tokens %v", tc.want[k].start, tc.want[k], d.Tokens)
				}
				return
			}
			if len(d.Tokens) != len(tc.want) {
				t.Fatalf("%d tokens %v, want %d %+v", len(d.Tokens), d.Tokens, len(tc.want), tc.want)
			}
			for i, want := range tc.want {
				checkToken(t, d, d.Tokens[i], want)
			}
		})
	}
}

// TestMaskedNeverMatch: URLs, mentions and HTML are blanked in the matching
// form, so lexicon terms inside them never fire.
func TestMaskedNeverMatch(t *testing.T) {
	seg := testSegmenter(t)
	m := seg.NewMatcher([]string{"差评", "bad", "好"})
	for _, text := range []string{
		"https://shop.example.com/bad-review?q=%E5%B7%AE&good=1",
		"@差评君",
		"<img alt=\"差评\">",
		"<a href=\"bad\">",
	} {
		if got := m.Find(seg.Segment(text)); len(got) != 0 {
			t.Errorf("Find(%q) = %v, want no match inside masked text", text, got)
		}
	}
}

func TestLang(t *testing.T) {
	seg := testSegmenter(t)
	for _, tc := range []struct{ text, want string }{
		{"物流很快，但是客服态度太差了", segment.LangZh},
		{"這個價錢太貴了", segment.LangZh},
		{"这个app很好用，物流也很快，客服态度也不错", segment.LangZh},
		{"Fast shipping, but the box was crushed.", segment.LangEn},
		{"ＩＴ ＷＯＲＫＳ", segment.LangEn},
		{"iPhone 15 Pro发热严重, battery drains fast", segment.LangMixed},
		{"Great phone, 很好用", segment.LangMixed},
		{"😀👍", segment.LangUnd},
		{"❤️❤️❤️", segment.LangUnd},
		{"2024 618", segment.LangUnd},
		{"!!!???", segment.LangUnd},
		{"", segment.LangUnd},
	} {
		if got := seg.Segment(tc.text).Lang; got != tc.want {
			t.Errorf("Lang(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestClauses(t *testing.T) {
	seg := testSegmenter(t)
	for _, tc := range []struct {
		text string
		want []clause
	}{
		{"物流很快，但是客服态度太差了", []clause{{"物流很快", 0, 4, "", false}, {"但是客服态度太差了", 5, 14, "但是", false}}},
		// no punctuation before the connective
		{"质量不错不过有点贵", []clause{{"质量不错", 0, 4, "", false}, {"不过有点贵", 4, 9, "不过", false}}},
		{"东西不错 但是物流太慢了", []clause{{"东西不错", 0, 4, "", false}, {"但是物流太慢了", 5, 12, "但是", false}}},
		{"虽然贵但是好用", []clause{{"虽然贵", 0, 3, "虽然", false}, {"但是好用", 3, 7, "但是", false}}},
		// ~ and newline end clauses; 就是 opens one only at its start
		{"质量不错~就是有点贵\n还会再来", []clause{{"质量不错", 0, 4, "", false}, {"就是有点贵", 5, 10, "就是", false}, {"还会再来", 11, 15, "", false}}},
		{"质量很好就是有点贵", []clause{{"质量很好就是有点贵", 0, 9, "", false}}},
		{"这个就是我要的，就是有点贵", []clause{{"这个就是我要的", 0, 7, "", false}, {"就是有点贵", 8, 13, "就是", false}}},
		// 但 after 不 is 不但, not a contrast
		{"价格不但便宜而且好用", []clause{{"价格不但便宜而且好用", 0, 10, "", false}}},
		{"质量不错。包装也好！价格呢？", []clause{{"质量不错", 0, 4, "", false}, {"包装也好", 5, 9, "", false}, {"价格呢", 10, 13, "", true}}},
		{"真的好吗？还是假的", []clause{{"真的好吗", 0, 4, "", true}, {"还是假的", 5, 9, "", false}}},
		{"你们到底怎么回事？？", []clause{{"你们到底怎么回事", 0, 8, "", true}}},
		{"这也叫快递?", []clause{{"这也叫快递", 0, 5, "", true}}},
		// the particle 吗 asks without a question mark; 嗎 folds to it
		{"这件能机洗吗。", []clause{{"这件能机洗吗", 0, 6, "", true}}},
		{"能寄到台灣嗎😊", []clause{{"能寄到台灣嗎😊", 0, 7, "", true}}},
		{"吗啡不能乱用", []clause{{"吗啡不能乱用", 0, 6, "", false}}},
		// a space between Han characters separates clauses; a decimal point does not
		{"不错 挺好", []clause{{"不错", 0, 2, "", false}, {"挺好", 3, 5, "", false}}},
		{"10.5元很便宜", []clause{{"10.5元很便宜", 0, 8, "", false}}},
		{"great phone however the battery is weak", []clause{{"great phone", 0, 11, "", false}, {"however the battery is weak", 12, 39, "however", false}}},
		{"It works but it is slow", []clause{{"It works", 0, 8, "", false}, {"but it is slow", 9, 23, "but", false}}},
		{"I love it, but shipping was slow!", []clause{{"I love it", 0, 9, "", false}, {"but shipping was slow", 11, 32, "but", false}}},
		{"nice design although a bit heavy", []clause{{"nice design", 0, 11, "", false}, {"although a bit heavy", 12, 32, "although", false}}},
		{"although it is pricey, it works", []clause{{"although it is pricey", 0, 21, "although", false}, {"it works", 23, 31, "", false}}},
		{"Is it waterproof? Asking before I buy.", []clause{{"Is it waterproof", 0, 16, "", true}, {"Asking before I buy", 18, 37, "", false}}},
		{"但是", []clause{{"但是", 0, 2, "但是", false}}},
		{"", nil},
		{"。。。", nil},
	} {
		d := seg.Segment(tc.text)
		if got := clausesOf(d); !slices.Equal(got, tc.want) {
			t.Errorf("clauses of %q:\n got %+v\nwant %+v", tc.text, got, tc.want)
		}
	}
}

// TestSegmentConcurrent segments texts from many goroutines: under -race this
// checks that a Segmenter is safe for concurrent use and that results do not
// depend on it.
func TestSegmentConcurrent(t *testing.T) {
	seg := testSegmenter(t)
	texts := []string{"物流很快，但是客服态度太差了", "iPhone 15 Pro发热严重, battery drains fast", "這個價錢太貴了",
		"好好好好", "详情 https://example.com/a?b=1 @客服小美 你好", "😀👍", "<b>很好</b>"}
	want := make([]string, len(texts))
	for i, s := range texts {
		want[i] = fmt.Sprint(seg.Segment(s).Tokens, seg.Segment(s).Clauses)
	}
	var wg sync.WaitGroup
	errs := make([]string, 8*len(texts))
	for g := range 8 {
		for i, s := range texts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := seg.Segment(s)
				if got := fmt.Sprint(d.Tokens, d.Clauses); got != want[i] {
					errs[g*len(texts)+i] = fmt.Sprintf("Segment(%q) concurrently = %s, want %s", s, got, want[i])
				}
			}()
		}
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
}
