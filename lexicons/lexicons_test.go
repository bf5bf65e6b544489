package lexicons_test

import (
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/vocal-dev/vocal/lexicons"
)

// header is the '#' block every test lexicon starts with, as the real ones do.
const header = "# test lexicon\n# author: lexicons_test\n# how: written by hand for this test\n"

// file builds an fstest file from a header and lines.
func file(lines ...string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(header + strings.Join(lines, "\n") + "\n")}
}

func mustLoad(t *testing.T, dir fs.FS) *lexicons.Set {
	t.Helper()
	set, err := lexicons.Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return set
}

func weightOf(set *lexicons.Set, term string) (w float64, n int) {
	for _, e := range set.Sentiment {
		if e.Term == term {
			w, n = e.Weight, n+1
		}
	}
	return w, n
}

func topicKeys(tax *lexicons.Taxonomy) []string {
	var keys []string
	for _, tp := range tax.Topics {
		keys = append(keys, tp.Key)
	}
	return keys
}

func TestDefaultLoads(t *testing.T) {
	set, err := lexicons.Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	if !regexp.MustCompile(`^sha256:[0-9a-f]{12}$`).MatchString(set.Version) {
		t.Errorf("Version = %q, want sha256:<12 hex>", set.Version)
	}
	if len(set.Sentiment) == 0 || len(set.Modifiers) == 0 || len(set.Risk) == 0 || set.UserDict == "" {
		t.Errorf("empty part: %d sentiment, %d modifiers, %d risk terms, %d bytes of user dictionary",
			len(set.Sentiment), len(set.Modifiers), len(set.Risk), len(set.UserDict))
	}
	for _, key := range []string{"price", "function", "service_attitude", "logistics"} {
		if !slices.Contains(topicKeys(set.Taxonomy), key) {
			t.Errorf("default taxonomy has no topic %q (have %v)", key, topicKeys(set.Taxonomy))
		}
	}
	// One entry per term: later files win, and the set keeps no duplicates.
	seen := map[string]bool{}
	for _, e := range set.Sentiment {
		if seen[e.Term] {
			t.Errorf("sentiment term %q listed twice", e.Term)
		}
		seen[e.Term] = true
		if e.Weight < -4 || e.Weight > 4 {
			t.Errorf("sentiment term %q weight %v outside [-4, 4]", e.Term, e.Weight)
		}
	}
	// Each source is present: zh and emoji from our files, VADER beneath English.
	for _, term := range []string{"好", "差评", "👍", "😡", "good", "terrible"} {
		if _, n := weightOf(set, term); n != 1 {
			t.Errorf("default sentiment has %d entries for %q, want 1", n, term)
		}
	}
	for _, m := range set.Modifiers {
		if m.Term != lexicons.Fold(m.Term) {
			t.Errorf("modifier %q is not folded", m.Term)
		}
	}
	// Two loads are identical: the version is a content hash.
	again, err := lexicons.Default()
	if err != nil {
		t.Fatal(err)
	}
	if again.Version != set.Version {
		t.Errorf("Version not deterministic: %q then %q", set.Version, again.Version)
	}
}

// TestEmbeddedHeaders checks every file under data/ (what go:embed ships)
// starts with '#' header lines that name the author and say how it was made.
func TestEmbeddedHeaders(t *testing.T) {
	data := os.DirFS("data")
	names, err := fs.Glob(data, "*")
	if err != nil {
		t.Fatal(err)
	}
	known := []string{lexicons.FileSentimentZh, lexicons.FileSentimentEn, lexicons.FileEmoji,
		lexicons.FileModifiers, lexicons.FileRisk, lexicons.FileTaxonomy, lexicons.FileUserDict}
	for _, name := range known {
		if !slices.Contains(names, name) {
			t.Errorf("data/%s is missing", name)
		}
	}
	author := regexp.MustCompile(`^# author: \S`)
	how := regexp.MustCompile(`^# how: \S`)
	for _, name := range names {
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			continue // go:embed skips these
		}
		b, err := fs.ReadFile(data, name)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimPrefix(string(b), "\ufeff"), "\n")
		if !strings.HasPrefix(lines[0], "#") {
			t.Errorf("%s: first line %q is not a '#' header", name, lines[0])
			continue
		}
		var hasAuthor, hasHow bool
		for _, l := range lines {
			if !strings.HasPrefix(l, "#") {
				break // end of the header block
			}
			hasAuthor = hasAuthor || author.MatchString(l)
			hasHow = hasHow || how.MatchString(l)
		}
		if !hasAuthor || !hasHow {
			t.Errorf("%s: header names author %v, how it was made %v; want both", name, hasAuthor, hasHow)
		}
		if !slices.Contains(known, name) {
			t.Errorf("data/%s is embedded but Load never reads it", name)
		}
	}
}

func TestLoadOverridesOneFile(t *testing.T) {
	def := mustLoad(t, nil)
	set := mustLoad(t, fstest.MapFS{
		lexicons.FileRisk: file("起火\tsafety\tcritical", "RE:(再也|以后)不买\tchurn\tmedium", "Report You To\tregulator\thigh"),
	})
	want := []lexicons.RiskTerm{
		{Term: "起火", Category: "safety", Level: lexicons.LevelCritical},
		{Term: "re:(再也|以后)不买", Category: "churn", Level: lexicons.LevelMedium},
		{Term: "report you to", Category: "regulator", Level: lexicons.LevelHigh},
	}
	if !slices.Equal(set.Risk, want) {
		t.Errorf("Risk = %v, want only the override %v", set.Risk, want)
	}
	// Every other file falls back to the embedded one.
	if len(set.Sentiment) != len(def.Sentiment) || !slices.Equal(set.Modifiers, def.Modifiers) || set.UserDict != def.UserDict {
		t.Errorf("files not overridden differ from the defaults")
	}
	if !slices.Equal(topicKeys(set.Taxonomy), topicKeys(def.Taxonomy)) {
		t.Errorf("taxonomy = %v, want the default %v", topicKeys(set.Taxonomy), topicKeys(def.Taxonomy))
	}
	if set.Version == def.Version {
		t.Errorf("Version %q did not change with risk.tsv", set.Version)
	}
}

func TestLoadParsesEntries(t *testing.T) {
	set := mustLoad(t, fstest.MapFS{
		lexicons.FileSentimentZh: file("好\t2", "  快递 \t0\textra columns are ignored", "", "# a comment line", "差劲\t-3"),
		lexicons.FileSentimentEn: file("GOOD\t3.5", "meh\t-0.5", "cancel\t-1\tfact"),
		lexicons.FileEmoji:       file("👍\t2"),
		lexicons.FileModifiers: file("不\tnegator\t-0.8", "很\tintensifier\t1.3", "有点\tdiminisher\t0.6",
			"但是\tcontrast\t2", "虽然\tconcession\t0.5", "这也叫\trhetorical\t-2", "担心\thypothetical\t1", "差点\tevent\t1",
			"又\trepeat\t1", "请问\trequest\t0.3"),
	})
	for _, e := range set.Sentiment {
		if want := e.Term == "cancel"; e.Fact != want {
			t.Errorf("%q: Fact %v, want %v (only a third column \"fact\" tags it)", e.Term, e.Fact, want)
		}
	}
	for _, tc := range []struct {
		term string
		want float64
	}{
		{"好", 2}, {"快递", 0}, {"差劲", -3}, {"👍", 2},
		{"good", 3.5}, // ours wins over VADER's rating, and is folded to lower case
		{"meh", -0.5},
	} {
		w, n := weightOf(set, tc.term)
		if n != 1 || w != tc.want {
			t.Errorf("%q: %d entries, weight %v; want 1 entry of weight %v", tc.term, n, w, tc.want)
		}
	}
	if _, n := weightOf(set, "horrible"); n != 1 {
		t.Errorf("VADER term %q: %d entries, want it beneath the English override", "horrible", n)
	}
	want := []lexicons.Modifier{
		{Term: "不", Kind: lexicons.Negator, Weight: -0.8},
		{Term: "很", Kind: lexicons.Intensifier, Weight: 1.3},
		{Term: "有点", Kind: lexicons.Diminisher, Weight: 0.6},
		{Term: "但是", Kind: lexicons.Contrast, Weight: 2},
		{Term: "虽然", Kind: lexicons.Concession, Weight: 0.5},
		{Term: "这也叫", Kind: lexicons.Rhetorical, Weight: -2},
		{Term: "担心", Kind: lexicons.Hypothetical, Weight: 1},
		{Term: "差点", Kind: lexicons.Event, Weight: 1},
		{Term: "又", Kind: lexicons.Repeat, Weight: 1},
		{Term: "请问", Kind: lexicons.Request, Weight: 0.3},
	}
	if !slices.Equal(set.Modifiers, want) {
		t.Errorf("Modifiers = %v\nwant %v", set.Modifiers, want)
	}
}

func TestLoadErrors(t *testing.T) {
	// Line numbers count the 3 header lines of file(): the first data line is line 4.
	goodTax := "version: 1\ntopics:\n  - key: price\n    cues: [价格]\n"
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want []string // substrings of the error
	}{
		{"bad weight", fstest.MapFS{lexicons.FileSentimentZh: file("好\t2", "差\tbad")},
			[]string{"sentiment_zh.tsv:5:", `"bad"`}},
		{"weight out of range", fstest.MapFS{lexicons.FileSentimentEn: file("awful\t-5")},
			[]string{"sentiment_en.tsv:4:", "awful", "[-4, 4]"}},
		{"missing weight", fstest.MapFS{lexicons.FileEmoji: file("👍")},
			[]string{"emoji.tsv:4:", "1 field"}},
		{"unknown modifier kind", fstest.MapFS{lexicons.FileModifiers: file("不\tnegator\t-0.8", "很\tbooster\t1.3")},
			[]string{"modifiers.tsv:5:", `unknown modifier kind "booster"`}},
		{"bad modifier weight", fstest.MapFS{lexicons.FileModifiers: file("很\tintensifier\tx")},
			[]string{"modifiers.tsv:4:", `"x"`}},
		{"unknown risk level", fstest.MapFS{lexicons.FileRisk: file("起火\tsafety\tcritical", "起诉\tlegal\tsevere")},
			[]string{"risk.tsv:5:", `unknown risk level "severe"`}},
		{"unknown risk category", fstest.MapFS{lexicons.FileRisk: file("起火\tsafety\tcritical", "", "起诉\tcourt\thigh")},
			[]string{"risk.tsv:6:", `unknown risk category "court"`}},
		{"bad taxonomy regex", fstest.MapFS{lexicons.FileTaxonomy: {Data: []byte(goodTax + "    patterns: ['(价格']\n")}},
			[]string{"taxonomy.yaml", `"price"`, `"(价格"`}},
		{"duplicate topic key", fstest.MapFS{lexicons.FileTaxonomy: {Data: []byte(goodTax + "  - key: price\n    cues: [贵]\n")}},
			[]string{"taxonomy.yaml", `"price" defined twice`}},
		{"unknown taxonomy field", fstest.MapFS{lexicons.FileTaxonomy: {Data: []byte(goodTax + "    synonyms: [钱]\n")}},
			[]string{"taxonomy.yaml", "line 5", "synonyms"}},
		{"taxonomy risk category", fstest.MapFS{lexicons.FileTaxonomy: {Data: []byte(goodTax + "    risk_categories: [court]\n")}},
			[]string{"taxonomy.yaml", `"price"`, `"court"`}},
		{"topic without cues", fstest.MapFS{lexicons.FileTaxonomy: {Data: []byte("topics:\n  - key: empty\n")}},
			[]string{"taxonomy.yaml", `"empty"`, "no cues or patterns"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := lexicons.Load(tc.fs)
			if err == nil {
				t.Fatalf("Load succeeded (version %s), want an error", set.Version)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseTaxonomy(t *testing.T) {
	tax, err := lexicons.ParseTaxonomy("custom.yaml", []byte(`
version: 2
topics:
  - key: packaging
    label: {zh: 包装, en: Packaging}
    cues: [包装, packag*]
    patterns: ['(盒子|箱子)(都)?(破|烂)了']
    exclude: [包装设计]
  - key: function
    patterns: ['(充电器|电池)(冒烟|鼓包)']
    risk_categories: [safety, privacy]
`))
	if err != nil {
		t.Fatalf("ParseTaxonomy: %v", err)
	}
	want := []lexicons.Topic{
		{Key: "packaging", Label: map[string]string{"zh": "包装", "en": "Packaging"}, Cues: []string{"包装", "packag*"},
			Patterns: []string{"(盒子|箱子)(都)?(破|烂)了"}, Exclude: []string{"包装设计"}},
		{Key: "function", Patterns: []string{"(充电器|电池)(冒烟|鼓包)"}, RiskCategories: []string{"safety", "privacy"}},
	}
	if tax.Version != 2 || len(tax.Topics) != len(want) {
		t.Fatalf("got version %d with %d topics, want version 2 with %d", tax.Version, len(tax.Topics), len(want))
	}
	for i, w := range want {
		g := tax.Topics[i]
		if g.Key != w.Key || !slices.Equal(g.Cues, w.Cues) || !slices.Equal(g.Patterns, w.Patterns) ||
			!slices.Equal(g.Exclude, w.Exclude) || !slices.Equal(g.RiskCategories, w.RiskCategories) ||
			g.Label["zh"] != w.Label["zh"] || g.Label["en"] != w.Label["en"] {
			t.Errorf("topic %d = %+v, want %+v", i, g, w)
		}
	}
	for _, bad := range []string{"", "topics: []\n", "topics:\n  - cues: [x]\n"} {
		if _, err := lexicons.ParseTaxonomy("bad.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "bad.yaml") {
			t.Errorf("ParseTaxonomy(%q) error = %v, want one naming bad.yaml", bad, err)
		}
	}
}

func TestVersionChangesWithAnyFile(t *testing.T) {
	def := mustLoad(t, nil)
	versions := map[string]string{def.Version: "default"}
	for _, tc := range []struct{ name, data string }{
		{lexicons.FileSentimentZh, "好\t2\n"},
		{lexicons.FileSentimentEn, "good\t2\n"},
		{lexicons.FileEmoji, "👍\t2\n"},
		{lexicons.FileModifiers, "不\tnegator\t-0.8\n"},
		{lexicons.FileRisk, "起火\tsafety\tcritical\n"},
		{lexicons.FileTaxonomy, "topics:\n  - key: price\n    cues: [价格]\n"},
		{lexicons.FileUserDict, "顺丰 3000 nz\n"},
	} {
		set := mustLoad(t, fstest.MapFS{tc.name: {Data: []byte(header + tc.data)}})
		if prev, dup := versions[set.Version]; dup {
			t.Errorf("overriding %s gives version %s, same as %s", tc.name, set.Version, prev)
		}
		versions[set.Version] = tc.name
		// The same content gives the same version.
		if again := mustLoad(t, fstest.MapFS{tc.name: {Data: []byte(header + tc.data)}}); again.Version != set.Version {
			t.Errorf("%s: version %s then %s for the same content", tc.name, set.Version, again.Version)
		}
	}
	// An edit anywhere in a file changes the version, a comment included.
	a := mustLoad(t, fstest.MapFS{lexicons.FileRisk: file("起火\tsafety\tcritical")})
	b := mustLoad(t, fstest.MapFS{lexicons.FileRisk: file("起火\tsafety\tcritical", "# reviewed")})
	if a.Version == b.Version {
		t.Errorf("version %s did not change when risk.tsv gained a line", a.Version)
	}
}

func TestLevelRank(t *testing.T) {
	for level, want := range map[string]int{
		lexicons.LevelNone: 0, lexicons.LevelMedium: 1, lexicons.LevelHigh: 2, lexicons.LevelCritical: 3, "severe": 0, "": 0,
	} {
		if got := lexicons.LevelRank(level); got != want {
			t.Errorf("LevelRank(%q) = %d, want %d", level, got, want)
		}
	}
}

// FuzzLoad feeds arbitrary content to one lexicon file (chosen by which):
// Load never panics, and an error names the file it comes from.
func FuzzLoad(f *testing.F) {
	names := []string{lexicons.FileSentimentZh, lexicons.FileSentimentEn, lexicons.FileEmoji,
		lexicons.FileModifiers, lexicons.FileRisk, lexicons.FileTaxonomy, lexicons.FileUserDict}
	for _, seed := range []struct {
		which uint8
		data  string
	}{
		{0, "好\t2\n"}, {1, "a\t1e309\n"}, {2, "a\t\t\t\n"}, {3, "很\tintensifier\t1.3\n"},
		{4, "起火\tsafety\tcritical\n"}, {4, "re:(起火\tsafety\tcritical\n"},
		{5, "topics:\n  - key: a\n    cues: [b]\n"}, {5, "topics:\n  - key: a\n    patterns: ['(']\n"}, {5, "topics: [[[\n"},
		{6, "顺丰 3000 nz\n"}, {0, "\ufeff# x\n\t\t\n"}, {3, "\xff\xfe\n"},
	} {
		f.Add(seed.which, seed.data)
	}
	f.Fuzz(func(t *testing.T, which uint8, data string) {
		name := names[int(which)%len(names)]
		set, err := lexicons.Load(fstest.MapFS{name: {Data: []byte(data)}})
		if err != nil {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("Load with %s = %q: error %q does not name the file", name, data, err)
			}
			return
		}
		if set.Taxonomy == nil || len(set.Taxonomy.Topics) == 0 || set.Version == "" {
			t.Errorf("Load with %s = %q: incomplete set without an error", name, data)
		}
	})
}
