package train

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/models"
)

func TestCorpus(t *testing.T) {
	items, err := Corpus(ds("corpora", "smp2020_ewect_zh.jsonl"), "smp")
	if err != nil {
		t.Fatal(err)
	}
	// 15 labelled lines; the surprise line has no sentiment and is left out.
	if got := labelCounts(items); got != [3]int{5, 5, 5} {
		t.Errorf("label counts %v, want 5 of each", got)
	}
	if items[0].Source != "smp" || items[0].Group != "weibo" {
		t.Errorf("first item %+v: want source smp, group weibo", items[0])
	}
	// An aspect corpus: the label is the polarity the aspects agree on.
	aspects, err := Corpus(ds("corpora", "m_absa_zh.jsonl"), "m")
	if err != nil {
		t.Fatal(err)
	}
	byText := map[string]int{}
	for _, it := range aspects {
		byText[it.Text] = it.Label
	}
	for text, want := range map[string]int{"物流很快，第二天就到了": Positive, "菜的味道一般": Neutral, "包装破损，东西也碎了": Negative} {
		if got, ok := byText[text]; !ok || got != want {
			t.Errorf("%s: label %d (present %v), want %d", text, got, ok, want)
		}
	}
	for _, text := range []string{"房间很小但是很干净", "课程内容安排合理"} {
		if _, ok := byText[text]; ok {
			t.Errorf("%s: mixed or no polarity, want it left out", text)
		}
	}
}

func TestCorpusAspects(t *testing.T) {
	items, err := CorpusAspects(ds("corpora", "m_absa_en.jsonl"), "m")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"Delivery was fast and the box arrived intact": {"logistics"},
		"The view from the room was nice":              nil,
		"Lectures are clear but the quizzes are buggy": {"function"},
		"I watched the first week only":                nil,
		"Way too expensive for what you get":           {"price"},
		"The seller answered every question politely":  {"service_attitude"},
		"Battery dies within an hour":                  {"function"},
	}
	if len(items) != len(want) {
		t.Fatalf("%d items, want %d", len(items), len(want))
	}
	for _, it := range items {
		if w, ok := want[it.Text]; !ok || !slices.Equal(it.Topics, w) {
			t.Errorf("%q: topics %v, want %v", it.Text, it.Topics, w)
		}
	}
}

func TestCorpusErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, line, want string }{
		{"bad json", `{"text": "x"`, "bad json:1: unexpected end of JSON input"},
		{"bad sentiment", `{"text": "x", "sentiment": "mixed"}`, `bad sentiment:1: sentiment "mixed": want negative, neutral or positive`},
		{"bad polarity", `{"text": "x", "aspects": [{"polarity": "conflict"}]}`, `bad polarity:1: aspect polarity "conflict"`},
		{"bad topic", `{"text": "x", "aspects": [{"topic": "ambience"}]}`, `bad topic:1: aspect topic "ambience"`},
	} {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, []byte(c.line+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Corpus(path, "x")
		if c.name == "bad topic" {
			_, err = CorpusAspects(path, "x")
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

// TestRunLeavesOneCorpusOut trains on the fixture tree and checks the
// protocol's figures: every corpus is scored, research corpora are never
// trained on, the chosen rule is one the grid compared and ships in the model.
func TestRunLeavesOneCorpusOut(t *testing.T) {
	set, err := lexicons.Default()
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	rep, err := Run(Config{Datasets: datasets, Out: out, Version: "test", Lexicons: set, Balance: true,
		Fit:     models.FitConfig{Epochs: 2, LearningRate: 0.2, L2: 1e-6, Seed: 1},
		Buckets: map[string]int{"zh": 1 << 12, "en": 1 << 12}})
	if err != nil {
		t.Fatal(err)
	}
	fig := rep.Figures
	for _, lang := range []string{"zh", "en"} {
		trained := 0.0
		for _, s := range sources {
			if s.lang != lang {
				continue
			}
			k := lang + ".loco." + s.name + "."
			if fig[k+"n"] == 0 {
				t.Errorf("%s: no items scored", k)
			}
			if _, ok := fig[k+"acc"]; !ok {
				t.Errorf("%sacc missing", k)
			}
			if _, ok := fig[k+"sign_acc"]; ok != s.binary {
				t.Errorf("%ssign_acc present %v, want %v", k, ok, s.binary)
			}
			if !s.research {
				trained += fig[k+"n"]
			}
		}
		if fig[lang+".trained_n"] != trained {
			t.Errorf("%s: trained on %v items, want the %v of the shippable corpora", lang, fig[lang+".trained_n"], trained)
		}
		if !slices.Contains(unsureGrid, fig[lang+".unsure"]) {
			t.Errorf("%s.unsure %v is not in the grid", lang, fig[lang+".unsure"])
		}
		for _, s := range aspectSources {
			if k := lang + ".topics.loco." + s.name + ".n"; s.lang == lang && fig[k] == 0 {
				t.Errorf("%s: no topic units scored", k)
			}
		}
	}
	for _, name := range []string{"sentiment-zh", "sentiment-en", "topics-zh", "topics-en"} {
		f, err := os.Open(filepath.Join(out, name+models.Ext))
		if err != nil {
			t.Fatal(err)
		}
		m, err := models.ReadLinear(f, name)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if lang := strings.TrimPrefix(name, "sentiment-"); lang != name && m.Unsure != fig[lang+".unsure"] {
			t.Errorf("%s: ships unsure %v, protocol chose %v", name, m.Unsure, fig[lang+".unsure"])
		}
	}
	card, err := os.ReadFile(filepath.Join(out, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Protocol: leave one corpus out", "| weibo_emotion8_zh (research, never trained on) |", "### en sentiment, out of domain"} {
		if !strings.Contains(string(card), want) {
			t.Errorf("model card lacks %q", want)
		}
	}
}
