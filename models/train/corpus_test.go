package train

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// datasets is the fixture tree: the layout and formats of ../shared/datasets,
// with a few texts per file written for these tests.
var datasets = filepath.Join("testdata", "datasets")

func ds(parts ...string) string { return filepath.Join(append([]string{datasets}, parts...)...) }

// checkGolden compares items, one JSON line each, with
// testdata/golden/name.jsonl; -update rewrites the file.
func checkGolden[T any](t *testing.T, name string, items []T) {
	t.Helper()
	var got bytes.Buffer
	enc := json.NewEncoder(&got)
	enc.SetEscapeHTML(false)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join("testdata", "golden", name+".jsonl")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("%s differs from the golden file; run go test ./models/train -run %s -update and review the diff:\n%s",
			name, t.Name(), got.Bytes())
	}
}

func labelCounts(items []Item) [3]int {
	var n [3]int
	for _, it := range items {
		n[it.Label]++
	}
	return n
}

func TestReaders(t *testing.T) {
	tests := []struct {
		name   string
		read   func() ([]Item, error)
		labels [3]int // negative, neutral, positive
		first  Item
		has    []Item // items that must be there, exactly
		absent []string
	}{
		{
			name: "shopping", read: func() ([]Item, error) { return Shopping(ds("online_shopping_10_cats.csv")) },
			labels: [3]int{21, 0, 22},
			// The BOM of the first review is stripped; a blank review is skipped.
			first: Item{Text: "这本书的纸张很厚实，印刷清晰，读起来很舒服", Label: Positive, Source: "shopping", Group: "书籍"},
			has: []Item{
				{Text: `翻译流畅,没有"生硬"的句子`, Label: Positive, Source: "shopping", Group: "书籍"},
				{Text: "分量不足，少了差不多一斤", Label: Negative, Source: "shopping", Group: "水果"},
				// The reader keeps both labels of a text; Dedupe drops it.
				{Text: "还可以吧", Label: Negative, Source: "shopping", Group: "水果"},
			},
		},
		{
			name: "weibo", read: func() ([]Item, error) { return Weibo(ds("weibo_senti_subset.csv")) },
			labels: [3]int{8, 0, 8},
			first:  Item{Text: "今天终于考完试了，出去吃顿好的庆祝一下[哈哈]", Label: Positive, Source: "weibo"},
			has:    []Item{{Text: "刚洗的车就下雨了，真倒霉", Label: Negative, Source: "weibo"}},
		},
		{
			// 21 reviews: one has positive and negative opinions, one none.
			name: "zhijiang", read: func() ([]Item, error) { return Zhijiang(ds("zhijiang2019")) },
			labels: [3]int{8, 2, 9},
			first:  Item{Text: "面膜很好用，补水效果明显", Label: Positive, Source: "zhijiang"},
			has: []Item{
				{Text: "还没用，先给个中评", Label: Neutral, Source: "zhijiang"},
				{Text: "颜色一般，持久度还行", Label: Neutral, Source: "zhijiang"},
				{Text: "效果没有宣传的那么好，一般般", Label: Negative, Source: "zhijiang"},
			},
			absent: []string{"质地清爽，吸收很快，但是价格有点贵", "今天收到了，还没拆开"},
		},
		{
			name: "uci-amazon_cells", read: func() ([]Item, error) {
				return UCI(ds("uci_sentences", "amazon_cells_labelled.txt"), "uci-amazon_cells")
			},
			labels: [3]int{7, 0, 8},
			first:  Item{Text: "The headset paired with my phone in seconds and the sound is crisp.", Label: Positive, Source: "uci-amazon_cells"},
		},
		{
			name: "uci-yelp", read: func() ([]Item, error) { return UCI(ds("uci_sentences", "yelp_labelled.txt"), "uci-yelp") },
			labels: [3]int{7, 0, 8},
			first:  Item{Text: "The soup was rich and full of flavor.", Label: Positive, Source: "uci-yelp"},
		},
		{
			// The IMDB file pads texts with two spaces before the tab.
			name: "uci-imdb", read: func() ([]Item, error) { return UCI(ds("uci_sentences", "imdb_labelled.txt"), "uci-imdb") },
			labels: [3]int{7, 0, 8},
			first:  Item{Text: "A moving story told with real warmth.", Label: Positive, Source: "uci-imdb"},
		},
		{
			name: "tweeteval", read: func() ([]Item, error) {
				return TweetEval(ds("tweeteval", "sentiment", "val_text.txt"), ds("tweeteval", "sentiment", "val_labels.txt"))
			},
			labels: [3]int{6, 6, 6},
			first:  Item{Text: "Just finished my first marathon, legs are dead but I am so proud!", Label: Positive, Source: "tweeteval"},
			has:    []Item{{Text: `"So excited for the concert tonight!!"`, Label: Positive, Source: "tweeteval"}},
		},
		{
			// Left out: positive with negative (t5, t8), and conflict alone (t7).
			name: "semeval14-restaurants", read: func() ([]Item, error) {
				return SemEval(ds("semeval", "Restaurants_Train.xml"), "semeval14-restaurants")
			},
			labels: [3]int{5, 2, 5},
			first:  Item{Text: "The dumplings were juicy and the broth was perfect.", Label: Positive, Source: "semeval14-restaurants"},
			has: []Item{
				{Text: "The bread comes warm and the butter is homemade.", Label: Positive, Source: "semeval14-restaurants"},
				{Text: "The curry was bland & watery.", Label: Negative, Source: "semeval14-restaurants"},
				{Text: "We came here for a birthday dinner on Saturday.", Label: Neutral, Source: "semeval14-restaurants"},
			},
			absent: []string{"The noodles were great but the waitress was rude.", "The menu is both exciting and overwhelming.",
				"A bit expensive, but the staff were lovely."},
		},
		{
			// Sentences without opinions (out of scope) are left out.
			name: "semeval16-restaurants", read: func() ([]Item, error) {
				return SemEval(ds("semeval", "ABSA16_Restaurants_Train_SB1_v2.xml"), "semeval16-restaurants")
			},
			labels: [3]int{5, 1, 6},
			first:  Item{Text: "The lamb was tender and beautifully seasoned.", Label: Positive, Source: "semeval16-restaurants"},
			absent: []string{"I finally tried the corner bistro last week.", "My cousin recommended it to me.", "The soup was hot, the salad was sad."},
		},
		{
			name: "semeval16-laptops", read: func() ([]Item, error) {
				return SemEval(ds("semeval", "ABSA16_Laptops_Train_SB1_v2.xml"), "semeval16-laptops")
			},
			labels: [3]int{6, 1, 7},
			first:  Item{Text: "The keyboard feels sturdy and quiet.", Label: Positive, Source: "semeval16-laptops"},
			absent: []string{"Bought this for college classes.", "The speakers are loud but the webcam is grainy."},
		},
		{
			// MAMS: a neutral aspect defers to the polar one.
			name: "mams", read: func() ([]Item, error) { return SemEval(ds("semeval", "MAMS_ACSA_train.xml"), "mams") },
			labels: [3]int{7, 0, 5},
			first:  Item{Text: "Pizza was excellent and we sat by the window.", Label: Positive, Source: "mams"},
			absent: []string{"The waiter was charming even though the kitchen took forever."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := tt.read()
			if err != nil {
				t.Fatal(err)
			}
			if n := labelCounts(items); n != tt.labels {
				t.Errorf("labels (negative, neutral, positive) %v, want %v", n, tt.labels)
			}
			if len(items) == 0 || items[0] != tt.first {
				t.Fatalf("first item %+v, want %+v", items[0], tt.first)
			}
			texts := map[string]Item{}
			for _, it := range items {
				texts[it.Text] = it
				if it.Text != strings.TrimSpace(it.Text) || it.Text == "" || strings.ContainsRune(it.Text, '\ufeff') {
					t.Errorf("text %q is not cleaned", it.Text)
				}
			}
			for _, want := range tt.has {
				if got, ok := texts[want.Text]; !ok || got != want {
					t.Errorf("item %q: %+v, want %+v", want.Text, got, want)
				}
			}
			for _, text := range tt.absent {
				if it, ok := texts[text]; ok {
					t.Errorf("item %+v should be left out", it)
				}
			}
			checkGolden(t, "items_"+tt.name, items)
		})
	}
}

func TestAspectReaders(t *testing.T) {
	zh, err := ZhijiangAspects(ds("zhijiang2019"))
	if err != nil {
		t.Fatal(err)
	}
	// Review 7, 质地清爽，吸收很快，但是价格有点贵: two 使用体验 opinions and a
	// 价格 one, located by the opinion terms' offsets.
	want := AspectItem{Text: "质地清爽，吸收很快，但是价格有点贵", Source: "zhijiang",
		Topics: []string{"function", "function", "price"}, At: []int{2, 7, 14}}
	if len(zh) != 21 || !reflect.DeepEqual(zh[6], want) {
		t.Errorf("%d items, review 7 %+v; want 21 and %+v", len(zh), zh[6], want)
	}
	for _, it := range zh {
		rs := []rune(it.Text)
		for _, at := range it.At {
			if at < 0 || at >= len(rs) {
				t.Errorf("%q: offset %d out of range", it.Text, at)
			}
		}
	}
	checkGolden(t, "aspects_zhijiang", zh)

	var en []AspectItem
	for _, f := range [][2]string{{"Restaurants_Train.xml", "semeval14-restaurants"}, {"ABSA16_Restaurants_Train_SB1_v2.xml", "semeval16-restaurants"},
		{"ABSA16_Laptops_Train_SB1_v2.xml", "semeval16-laptops"}, {"MAMS_ACSA_train.xml", "mams"}} {
		items, err := SemEvalAspects(ds("semeval", f[0]), f[1])
		if err != nil {
			t.Fatal(err)
		}
		en = append(en, items...)
	}
	byText := map[string][]string{}
	for _, it := range en {
		byText[it.Text] = it.Topics
	}
	for text, topics := range map[string][]string{
		"A bit expensive, but the staff were lovely.":               {"price", "service_attitude"},
		"Drinks cost twice what they should.":                       {"price"},
		"Delivery took three weeks and the box was crushed.":        {"logistics"},
		"Tech support replaced the screen without any fuss.":        {"service_attitude"},
		"Overpriced for such a slow processor.":                     {"price", "function"},
		"The hinge broke after a month.":                            {"function"},
		"The keyboard feels sturdy and quiet.":                      {"function"}, // a part's quality
		"The dining room was freezing and nobody brought us water.": {"service_attitude"},
		"Bought this for college classes.":                          nil, // kept, with no topic
		"The lamb was tender and beautifully seasoned.":             nil,
	} {
		got, ok := byText[text]
		if !ok || !reflect.DeepEqual(got, topics) {
			t.Errorf("%q: topics %v (found %v), want %v", text, got, ok, topics)
		}
	}
	checkGolden(t, "aspects_semeval", en)
}

func TestSemevalTopic(t *testing.T) {
	tests := []struct {
		category string
		laptops  bool
		want     string
	}{
		{"price", false, "price"},
		{"RESTAURANT#PRICES", false, "price"},
		{"LAPTOP#PRICE", true, "price"},
		{"service", false, "service_attitude"},
		{"staff", false, "service_attitude"},
		{"SERVICE#GENERAL", false, "service_attitude"},
		{"SUPPORT#QUALITY", true, "service_attitude"},
		{"SHIPPING#GENERAL", true, "logistics"},
		{"LAPTOP#QUALITY", true, "function"},
		{"BATTERY#OPERATION_PERFORMANCE", true, "function"},
		{"FOOD#QUALITY", false, ""}, // quality is a laptop's function only
		{"LAPTOP#GENERAL", true, ""},
		{"food", false, ""},
		{"anecdotes/miscellaneous", false, ""},
	}
	for _, tt := range tests {
		if got := semevalTopic(tt.category, tt.laptops); got != tt.want {
			t.Errorf("semevalTopic(%q, %v) = %q, want %q", tt.category, tt.laptops, got, tt.want)
		}
	}
}

func TestAgree(t *testing.T) {
	tests := []struct {
		name string
		ls   []int
		want int
		ok   bool
	}{
		{"none", nil, 0, false},
		{"positive", []int{Positive}, Positive, true},
		{"negative twice", []int{Negative, Negative}, Negative, true},
		{"neutral defers to positive", []int{Neutral, Positive, Neutral}, Positive, true},
		{"neutral defers to negative", []int{Negative, Neutral}, Negative, true},
		{"all neutral", []int{Neutral, Neutral}, Neutral, true},
		{"both polarities", []int{Positive, Neutral, Negative}, 0, false},
	}
	for _, tt := range tests {
		got, ok := agree(tt.ls)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: agree(%v) = %d, %v; want %d, %v", tt.name, tt.ls, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDedupe(t *testing.T) {
	it := func(text string, label int, source string) Item {
		return Item{Text: text, Label: label, Source: source}
	}
	tests := []struct {
		name string
		in   []Item
		want []Item
	}{
		{"empty", nil, nil},
		{"no repeats", []Item{it("b", Positive, "x"), it("a", Negative, "x")}, []Item{it("b", Positive, "x"), it("a", Negative, "x")}},
		{"repeat kept once, first wins",
			[]Item{it("Great phone", Positive, "uci-amazon_cells"), it("other", Negative, "x"), it("great  PHONE ", Positive, "tweeteval")},
			[]Item{it("Great phone", Positive, "uci-amazon_cells"), it("other", Negative, "x")}},
		{"conflicting labels dropped altogether",
			[]Item{it("还可以吧", Positive, "shopping"), it("好", Positive, "weibo"), it("还可以吧", Negative, "shopping"), it("还可以吧", Positive, "shopping")},
			[]Item{it("好", Positive, "weibo")}},
		{"neutral conflicts too", []Item{it("ok", Neutral, "tweeteval"), it("OK", Positive, "uci-yelp")}, []Item{}},
		{"inner spaces matter", []Item{it("还 可以吧", Negative, "a"), it("还可以吧", Positive, "b")},
			[]Item{it("还 可以吧", Negative, "a"), it("还可以吧", Positive, "b")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]Item(nil), tt.in...)
			got := Dedupe(in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Dedupe = %+v, want %+v", got, tt.want)
			}
			if !reflect.DeepEqual(in, tt.in) && len(tt.in) > 0 {
				t.Errorf("Dedupe changed its input: %+v", in)
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	shopping := file("shopping.csv", "cat,label,review\n书籍,1,很好看\n书籍,2,一般\n")
	shortRow := file("short.csv", "cat,label,review\n书籍,1,很好看\n书籍,0\n")
	weibo := file("weibo.csv", "label,review\n1,开心\n0,难过\nyes,好\n")
	noTab := file("uci_no_tab.txt", "Great phone.\t1\nBad phone. 0\n")
	uciTwo := file("uci_two.txt", "Great phone.\t1\r\n\r\nFine.\t2\r\n")
	texts := file("val_text.txt", "a \nb \nc \n")
	labels := file("val_labels.txt", "0\n3\n1\n")
	short := file("short_labels.txt", "0\n1\n")
	zjDir := filepath.Join(dir, "zhijiang")
	file("zhijiang/Train_reviews.csv", "id,Reviews\r\n1,很好用\r\n")
	file("zhijiang/Train_labels.csv", "id,AspectTerms,A_start,A_end,OpinionTerms,O_start,O_end,Categories,Polarities\r\n"+
		"1,_, , ,很好用,0,3,整体,正面\r\n1,_, , ,好,1,2,整体,好评\r\n")
	zjNoOffset := filepath.Join(dir, "zj_no_offset")
	file("zj_no_offset/Train_reviews.csv", "id,Reviews\n1,价格便宜\n")
	file("zj_no_offset/Train_labels.csv", "id,AspectTerms,A_start,A_end,OpinionTerms,O_start,O_end,Categories,Polarities\n1,价格, , ,便宜, , ,价格,正面\n")
	xmlBad := file("bad.xml", "<sentences><sentence><text>Good food</text></sentences>")
	missing := filepath.Join(dir, "missing.csv")
	tests := []struct {
		name string
		read func() error
		want string
	}{
		{"label 2 in a binary CSV", func() error { _, err := Shopping(shopping); return err }, shopping + `:3: label "2": want 0 or 1`},
		{"too few fields", func() error { _, err := Shopping(shortRow); return err }, shortRow + ": record on line 3: wrong number of fields"},
		{"label yes", func() error { _, err := Weibo(weibo); return err }, weibo + `:4: label "yes": want 0 or 1`},
		{"missing tab", func() error { _, err := UCI(noTab, "uci-x"); return err }, noTab + ":2: no tab before the label"},
		{"label 2 in UCI", func() error { _, err := UCI(uciTwo, "uci-x"); return err }, uciTwo + `:3: label "2": want 0 or 1`},
		{"TweetEval label 3", func() error { _, err := TweetEval(texts, labels); return err }, labels + `:2: label "3": want 0, 1 or 2`},
		{"TweetEval line counts", func() error { _, err := TweetEval(texts, short); return err }, texts + " has 3 lines, " + short + " 2"},
		{"Zhijiang polarity", func() error { _, err := Zhijiang(zjDir); return err },
			filepath.Join(zjDir, "Train_labels.csv") + `:3: polarity "好评"`},
		{"Zhijiang opinion without offsets", func() error { _, err := ZhijiangAspects(zjNoOffset); return err },
			filepath.Join(zjNoOffset, "Train_labels.csv") + ":2: opinion of review 1 has no offset"},
		{"broken XML", func() error { _, err := SemEval(xmlBad, "x"); return err }, xmlBad + ": XML syntax error"},
		{"broken XML, aspects", func() error { _, err := SemEvalAspects(xmlBad, "x"); return err }, xmlBad + ": XML syntax error"},
		{"missing file", func() error { _, err := Shopping(missing); return err }, missing},
		{"missing UCI file", func() error { _, err := UCI(missing, "x"); return err }, missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.read()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// FuzzReaders writes arbitrary bytes as each corpus file in turn and reads
// it: the readers never panic, and what they accept are cleaned texts with a
// known label.
func FuzzReaders(f *testing.F) {
	for _, p := range []string{"online_shopping_10_cats.csv", "weibo_senti_subset.csv", "zhijiang2019/Train_labels.csv",
		"uci_sentences/imdb_labelled.txt", "tweeteval/sentiment/val_labels.txt", "semeval/Restaurants_Train.xml",
		"semeval/ABSA16_Laptops_Train_SB1_v2.xml", "semeval/MAMS_ACSA_train.xml"} {
		b, err := os.ReadFile(ds(p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 2000)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "data")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		zj := filepath.Join(dir, "zhijiang")
		os.Mkdir(zj, 0o755)
		os.WriteFile(filepath.Join(zj, "Train_reviews.csv"), []byte("id,Reviews\n1,价格便宜\n2,物流很慢\n"), 0o644)
		os.WriteFile(filepath.Join(zj, "Train_labels.csv"), data, 0o644)
		check := func(reader string, items []Item, err error) {
			if err != nil {
				return
			}
			for _, it := range items {
				if it.Label < Negative || it.Label > Positive || it.Text != strings.TrimSpace(it.Text) {
					t.Errorf("%s: item %+v", reader, it)
				}
			}
		}
		items, err := Shopping(path)
		check("Shopping", items, err)
		items, err = Weibo(path)
		check("Weibo", items, err)
		items, err = Zhijiang(zj)
		check("Zhijiang", items, err)
		items, err = UCI(path, "uci")
		check("UCI", items, err)
		items, err = TweetEval(path, path)
		check("TweetEval", items, err)
		items, err = SemEval(path, "semeval")
		check("SemEval", items, err)
		ZhijiangAspects(zj)
		SemEvalAspects(path, "semeval16-laptops")
	})
}
