package lexicons

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"

	vader "github.com/jonreiter/govader/data"
)

//go:embed data
var embedded embed.FS

// File names inside a lexicon directory.
const (
	FileSentimentZh = "sentiment_zh.tsv"
	FileSentimentEn = "sentiment_en.tsv"
	FileEmoji       = "emoji.tsv"
	FileModifiers   = "modifiers.tsv"
	FileRisk        = "risk.tsv"
	FileTaxonomy    = "taxonomy.yaml"
	FileUserDict    = "userdict_zh.txt"
)

// Source of the general English lexicon loaded beneath sentiment_en.tsv.
const vaderAsset = "rawdata/vaderLexicon.txt"

// Entry is a sentiment term with its weight on the VADER scale [-4, 4].
// Weight 0 marks a blocker: a neutral compound that stops a shorter sentiment
// word inside it from matching (快递 stops 快).
type Entry struct {
	Term   string
	Weight float64
	// Fact marks a term that names what happened (被盗刷, caught fire, cancel)
	// or a courtesy (谢谢) rather than judging it: in a question or request it
	// carries no attitude. Tagged "fact" in the third column.
	Fact bool
}

// TagFact is the third-column tag of a fact term in a sentiment file.
const TagFact = "fact"

// ModifierKind says how a modifier acts on the sentiment terms around it.
type ModifierKind string

// Modifier kinds.
const (
	Negator      ModifierKind = "negator"      // flips the next term; weight is the multiplier
	Intensifier  ModifierKind = "intensifier"  // multiplies the next term (> 1)
	Diminisher   ModifierKind = "diminisher"   // multiplies the next term (< 1)
	Contrast     ModifierKind = "contrast"     // the clause after it weighs Weight, those before 1/Weight
	Concession   ModifierKind = "concession"   // its own clause weighs Weight
	Rhetorical   ModifierKind = "rhetorical"   // marks a rhetorical question; Weight when no term fired
	Hypothetical ModifierKind = "hypothetical" // risk terms after it are not reported events
	Event        ModifierKind = "event"        // marks a reported event (差点起火)
	Request      ModifierKind = "request"      // marks a request (请, please); its clause weighs Weight
	Repeat       ModifierKind = "repeat"       // a recurring or persisting event (又, still): an event, and impatience in a question or request
)

// Modifier is a word that changes the weight or scope of sentiment terms.
type Modifier struct {
	Term   string
	Kind   ModifierKind
	Weight float64
}

// Risk levels, from most to least urgent.
const (
	LevelCritical = "critical"
	LevelHigh     = "high"
	LevelMedium   = "medium"
	LevelNone     = "none"
)

// RiskCategories lists the allowed risk categories.
var RiskCategories = []string{"safety", "fraud", "privacy", "legal", "regulator", "media", "churn"}

// RiskTerm is a term or phrase that flags a record for risk teams.
type RiskTerm struct {
	Term     string
	Category string
	Level    string
}

// Set is a complete, validated set of lexicons. It is immutable after Load.
type Set struct {
	Version   string     // content hash of every file, "sha256:<12 hex>"
	Sentiment []Entry    // zh, en (VADER beneath ours) and emoji, deduplicated: later files win
	Modifiers []Modifier // negators, degree words, connectives
	Risk      []RiskTerm
	Taxonomy  *Taxonomy
	UserDict  string // gse user dictionary lines: "word freq pos"
}

// Default loads the embedded lexicons.
func Default() (*Set, error) { return Load(nil) }

// Load reads lexicons from dir, falling back to the embedded file for every
// name dir does not hold. A nil dir loads the embedded set.
func Load(dir fs.FS) (*Set, error) {
	base, err := fs.Sub(embedded, "data")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, name := range []string{FileSentimentZh, FileSentimentEn, FileEmoji, FileModifiers, FileRisk, FileTaxonomy, FileUserDict} {
		b, err := readOverride(dir, base, name)
		if err != nil {
			return nil, err
		}
		files[name] = b
	}
	set := &Set{UserDict: string(files[FileUserDict])}

	vaderRaw, err := vader.Asset(vaderAsset)
	if err != nil {
		return nil, fmt.Errorf("vader lexicon: %w", err)
	}
	entries := map[string]Entry{}
	var order []string
	add := func(es []Entry) {
		for _, e := range es {
			if _, seen := entries[e.Term]; !seen {
				order = append(order, e.Term)
			}
			entries[e.Term] = e
		}
	}
	for _, src := range []struct {
		name string
		raw  []byte
	}{{"govader:" + vaderAsset, vaderRaw}, {FileSentimentEn, files[FileSentimentEn]}, {FileSentimentZh, files[FileSentimentZh]}, {FileEmoji, files[FileEmoji]}} {
		es, err := parseEntries(src.name, src.raw)
		if err != nil {
			return nil, err
		}
		add(es)
	}
	for _, t := range order {
		set.Sentiment = append(set.Sentiment, entries[t])
	}
	if set.Modifiers, err = parseModifiers(FileModifiers, files[FileModifiers]); err != nil {
		return nil, err
	}
	if set.Risk, err = parseRisk(FileRisk, files[FileRisk]); err != nil {
		return nil, err
	}
	if set.Taxonomy, err = ParseTaxonomy(FileTaxonomy, files[FileTaxonomy]); err != nil {
		return nil, err
	}
	h := sha256.New()
	for _, name := range []string{FileSentimentZh, FileSentimentEn, FileEmoji, FileModifiers, FileRisk, FileTaxonomy, FileUserDict} {
		h.Write([]byte(name))
		h.Write(files[name])
	}
	set.Version = "sha256:" + hex.EncodeToString(h.Sum(nil))[:12]
	return set, nil
}

func readOverride(dir, base fs.FS, name string) ([]byte, error) {
	if dir != nil {
		b, err := fs.ReadFile(dir, name)
		if err == nil {
			return b, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("lexicon %s: %w", name, err)
		}
	}
	b, err := fs.ReadFile(base, name)
	if err != nil {
		return nil, fmt.Errorf("embedded lexicon %s: %w", name, err)
	}
	return b, nil
}

// eachRow calls fn with the tab-separated fields of every data line, skipping
// blank lines and '#' comments; fn's error is wrapped with file and line.
func eachRow(name string, raw []byte, fn func(fields []string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := fn(strings.Split(line, "\t")); err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
	}
	return sc.Err()
}

func parseWeight(s string) (float64, error) {
	w, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(w) || math.IsInf(w, 0) {
		return 0, fmt.Errorf("weight %q is not a finite number", s)
	}
	return w, nil
}

// modifierRange is the allowed weight range of each modifier kind.
var modifierRange = map[ModifierKind][2]float64{
	Negator: {-2, 0}, Intensifier: {1, 4}, Diminisher: {0, 1}, Contrast: {1, 4}, Concession: {0, 1},
	Rhetorical: {-4, 0}, Hypothetical: {0, 4}, Event: {0, 4}, Request: {0, 1}, Repeat: {0, 4},
}

// parseEntries reads "term<TAB>weight[<TAB>...]" lines. A third column
// "fact" sets Entry.Fact; other extra columns are ignored (the VADER file
// carries its rating spread after the mean).
func parseEntries(name string, raw []byte) ([]Entry, error) {
	var out []Entry
	err := eachRow(name, raw, func(f []string) error {
		if len(f) < 2 {
			return fmt.Errorf("want term<TAB>weight, got %d field(s)", len(f))
		}
		term := Fold(f[0])
		if term == "" {
			return errors.New("empty term")
		}
		w, err := parseWeight(f[1])
		if err != nil {
			return err
		}
		if w < -4 || w > 4 {
			return fmt.Errorf("weight %v of %q outside [-4, 4]", w, term)
		}
		out = append(out, Entry{Term: term, Weight: w, Fact: len(f) > 2 && strings.TrimSpace(f[2]) == TagFact})
		return nil
	})
	return out, err
}

func parseModifiers(name string, raw []byte) ([]Modifier, error) {
	var out []Modifier
	err := eachRow(name, raw, func(f []string) error {
		if len(f) != 3 {
			return fmt.Errorf("want term<TAB>kind<TAB>weight, got %d field(s)", len(f))
		}
		kind := ModifierKind(strings.TrimSpace(f[1]))
		rng, ok := modifierRange[kind]
		if !ok {
			return fmt.Errorf("unknown modifier kind %q", kind)
		}
		w, err := parseWeight(f[2])
		if err != nil {
			return err
		}
		if w < rng[0] || w > rng[1] {
			return fmt.Errorf("%s weight %v of %q outside [%v, %v]", kind, w, f[0], rng[0], rng[1])
		}
		out = append(out, Modifier{Term: Fold(f[0]), Kind: kind, Weight: w})
		return nil
	})
	return out, err
}

func parseRisk(name string, raw []byte) ([]RiskTerm, error) {
	var out []RiskTerm
	err := eachRow(name, raw, func(f []string) error {
		if len(f) != 3 {
			return fmt.Errorf("want term<TAB>category<TAB>level, got %d field(s)", len(f))
		}
		term := Fold(f[0])
		if strings.HasPrefix(strings.TrimSpace(f[0]), "re:") {
			term = strings.TrimSpace(f[0]) // a pattern keeps its case: \S is not \s
		}
		t := RiskTerm{Term: term, Category: strings.TrimSpace(f[1]), Level: strings.TrimSpace(f[2])}
		if !validCategory(t.Category) {
			return fmt.Errorf("unknown risk category %q", t.Category)
		}
		if LevelRank(t.Level) == 0 {
			return fmt.Errorf("unknown risk level %q (want critical, high or medium)", t.Level)
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

func validCategory(c string) bool {
	for _, k := range RiskCategories {
		if k == c {
			return true
		}
	}
	return false
}

// LevelRank orders risk levels: none 0, medium 1, high 2, critical 3; unknown is 0.
func LevelRank(level string) int {
	switch level {
	case LevelMedium:
		return 1
	case LevelHigh:
		return 2
	case LevelCritical:
		return 3
	}
	return 0
}

// Fold lower-cases and trims a lexicon term the way text is normalized before
// matching, so entries written in any case match.
func Fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
