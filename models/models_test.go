package models_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vocal-dev/vocal/models"
	"github.com/vocal-dev/vocal/sentiment"
)

func TestDefault(t *testing.T) {
	set, err := models.Default()
	if err != nil {
		t.Fatal(err)
	}
	sentimentClasses := []string{"negative", "neutral", "positive"}
	for _, lang := range []string{"zh", "en"} {
		for _, tt := range []struct {
			kind    string
			m       *models.Linear
			classes []string
		}{
			{"sentiment", set.Sentiment[lang], sentimentClasses},
			{"topics", set.Topics[lang], []string{"none", "price", "function", "service_attitude", "logistics"}},
		} {
			name := tt.kind + "-" + lang
			m := tt.m
			if m == nil {
				t.Errorf("no embedded %s model", name)
				continue
			}
			if m.Name != name || m.Features != sentiment.FeatureSet || !reflect.DeepEqual(m.Classes, tt.classes) {
				t.Errorf("%s: name %q, features %q, classes %v", name, m.Name, m.Features, m.Classes)
			}
			if m.Version == "" || len(m.Metrics) == 0 || !(m.Temperature > 0) {
				t.Errorf("%s: version %q, %d metrics, temperature %v: the header must say how it was made",
					name, m.Version, len(m.Metrics), m.Temperature)
			}
			if len(m.W) != m.Buckets*len(m.Classes) {
				t.Errorf("%s: %d weights for %d buckets", name, len(m.W), m.Buckets)
			}
		}
	}
	if err := sentiment.CheckModels(set); err != nil {
		t.Error(err)
	}
	again, _ := models.Default()
	if again != set {
		t.Error("Default decoded the models twice")
	}
	want := "sentiment-zh@" + set.Sentiment["zh"].Version + ",sentiment-en@" + set.Sentiment["en"].Version +
		",topics-zh@" + set.Topics["zh"].Version + ",topics-en@" + set.Topics["en"].Version
	if v := set.Version(); v != want {
		t.Errorf("Version() = %q, want %q", v, want)
	}
}

func TestVersionNone(t *testing.T) {
	var nilSet *models.Set
	for _, s := range []*models.Set{nilSet, {}, {Topics: map[string]*models.Linear{"zh": {}}}} {
		if v := s.Version(); v != "none" {
			t.Errorf("Version() of %+v = %q, want none", s, v)
		}
	}
}

// writeModel writes a tiny model named name to dir/file.
func writeModel(t *testing.T, dir, file, name string) {
	t.Helper()
	m, err := models.NewLinear(models.Header{Name: name, Version: "from-dir", Classes: []string{"negative", "neutral", "positive"},
		Buckets: 4, Features: sentiment.FeatureSet, Trained: "written by the models tests"})
	if err != nil {
		t.Fatal(err)
	}
	m.Bias[2] = 1
	f, err := os.Create(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := m.Write(f); err != nil {
		t.Fatal(err)
	}
}

func TestLoadDir(t *testing.T) {
	def, err := models.Default()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeModel(t, dir, "sentiment-en.vml.gz", "sentiment-en")
	writeModel(t, dir, "unrelated.vml.gz", "unrelated") // not a name Load reads
	set, err := models.Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if en := set.Sentiment["en"]; en.Version != "from-dir" || en.Buckets != 4 || en.Bias[2] != 1 {
		t.Errorf("sentiment-en: version %q, buckets %d: the file in the directory must win", en.Version, en.Buckets)
	}
	for name, pair := range map[string][2]*models.Linear{
		"sentiment-zh": {set.Sentiment["zh"], def.Sentiment["zh"]},
		"topics-zh":    {set.Topics["zh"], def.Topics["zh"]},
		"topics-en":    {set.Topics["en"], def.Topics["en"]},
	} {
		if got, want := pair[0], pair[1]; got == nil || got.Version != want.Version || got.Buckets != want.Buckets {
			t.Errorf("%s: %+v, want the embedded model", name, got)
		}
	}
	if !strings.HasPrefix(set.Version(), "sentiment-zh@"+def.Sentiment["zh"].Version+",sentiment-en@from-dir,") {
		t.Errorf("Version() = %q", set.Version())
	}
}

func TestLoadDirErrors(t *testing.T) {
	tests := []struct {
		name  string
		write func(t *testing.T, dir string)
		want  string
	}{
		{"header names another model", func(t *testing.T, dir string) {
			writeModel(t, dir, "sentiment-zh.vml.gz", "sentiment-en")
		}, `model sentiment-zh.vml.gz: header names it "sentiment-en"`},
		{"not a model", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "topics-en.vml.gz"), []byte("positive\t1\n"), 0o644)
		}, "model topics-en.vml.gz: gzip: invalid header"},
		{"a directory in its place", func(t *testing.T, dir string) {
			os.Mkdir(filepath.Join(dir, "sentiment-en.vml.gz"), 0o755)
		}, "sentiment-en.vml.gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.write(t, dir)
			set, err := models.Load(os.DirFS(dir))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load: %v, %v; want an error containing %q", set, err, tt.want)
			}
		})
	}
}
