package train

import (
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Sentiment classes, in model order.
const (
	Negative = iota
	Neutral
	Positive
)

// Classes names the sentiment classes in model order.
var Classes = []string{"negative", "neutral", "positive"}

// Item is one labelled text of a public corpus.
type Item struct {
	Text   string
	Label  int    // Negative, Neutral or Positive
	Source string // corpus name, e.g. shopping, weibo, uci-yelp
	Group  string // sub-domain: the online_shopping category
}

// readCSV calls row for every record after the header of a CSV file.
func readCSV(path string, fields int, row func(rec []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = fields
	r.LazyQuotes = true
	if _, err := r.Read(); err != nil {
		return fmt.Errorf("%s: header: %w", path, err)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := row(rec); err != nil {
			line, _ := r.FieldPos(0)
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
}

func binaryLabel(s string) (int, error) {
	switch strings.TrimSpace(s) {
	case "0":
		return Negative, nil
	case "1":
		return Positive, nil
	}
	return 0, fmt.Errorf("label %q: want 0 or 1", s)
}

func clean(s string) string { return strings.TrimSpace(strings.TrimPrefix(s, "\ufeff")) }

// Shopping reads online_shopping_10_cats.csv (cat,label,review).
func Shopping(path string) ([]Item, error) {
	var out []Item
	err := readCSV(path, 3, func(rec []string) error {
		l, err := binaryLabel(rec[1])
		if err != nil {
			return err
		}
		if t := clean(rec[2]); t != "" {
			out = append(out, Item{Text: t, Label: l, Source: "shopping", Group: rec[0]})
		}
		return nil
	})
	return out, err
}

// Weibo reads weibo_senti_subset.csv (label,review).
func Weibo(path string) ([]Item, error) {
	var out []Item
	err := readCSV(path, 2, func(rec []string) error {
		l, err := binaryLabel(rec[0])
		if err != nil {
			return err
		}
		if t := clean(rec[1]); t != "" {
			out = append(out, Item{Text: t, Label: l, Source: "weibo"})
		}
		return nil
	})
	return out, err
}

// Zhijiang reads the Zhijiang 2019 reviews and opinions; a review's label is
// the polarity its opinions agree on (neutral opinions defer to the others),
// and reviews with both positive and negative opinions are left out.
func Zhijiang(dir string) ([]Item, error) {
	texts := map[string]string{}
	var ids []string
	err := readCSV(filepath.Join(dir, "Train_reviews.csv"), 2, func(rec []string) error {
		texts[rec[0]] = clean(rec[1])
		ids = append(ids, rec[0])
		return nil
	})
	if err != nil {
		return nil, err
	}
	polarities := map[string][]int{}
	err = readCSV(filepath.Join(dir, "Train_labels.csv"), 9, func(rec []string) error {
		l, ok := map[string]int{"正面": Positive, "负面": Negative, "中性": Neutral}[rec[8]]
		if !ok {
			return fmt.Errorf("polarity %q", rec[8])
		}
		polarities[rec[0]] = append(polarities[rec[0]], l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []Item
	for _, id := range ids {
		if l, ok := agree(polarities[id]); ok && texts[id] != "" {
			out = append(out, Item{Text: texts[id], Label: l, Source: "zhijiang"})
		}
	}
	return out, nil
}

// agree returns the polarity a text's opinions agree on: positive or
// negative if all non-neutral ones say so, neutral if all are neutral.
func agree(ls []int) (int, bool) {
	if len(ls) == 0 {
		return 0, false
	}
	pos, neg := false, false
	for _, l := range ls {
		pos = pos || l == Positive
		neg = neg || l == Negative
	}
	switch {
	case pos && neg:
		return 0, false
	case pos:
		return Positive, true
	case neg:
		return Negative, true
	}
	return Neutral, true
}

// UCI reads one UCI sentiment-labelled-sentences file (text TAB label).
func UCI(path, source string) ([]Item, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Item
	for n, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		i := strings.LastIndexByte(line, '\t')
		if i < 0 {
			return nil, fmt.Errorf("%s:%d: no tab before the label", path, n+1)
		}
		l, err := binaryLabel(line[i+1:])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n+1, err)
		}
		out = append(out, Item{Text: clean(line[:i]), Label: l, Source: source})
	}
	return out, nil
}

// TweetEval reads the TweetEval sentiment texts and labels (0 negative,
// 1 neutral, 2 positive: the same order as Classes).
func TweetEval(textPath, labelPath string) ([]Item, error) {
	texts, err := lines(textPath)
	if err != nil {
		return nil, err
	}
	labels, err := lines(labelPath)
	if err != nil {
		return nil, err
	}
	if len(texts) != len(labels) {
		return nil, fmt.Errorf("%s has %d lines, %s %d", textPath, len(texts), labelPath, len(labels))
	}
	out := make([]Item, 0, len(texts))
	for i, t := range texts {
		l, err := strconv.Atoi(strings.TrimSpace(labels[i]))
		if err != nil || l < 0 || l > 2 {
			return nil, fmt.Errorf("%s:%d: label %q: want 0, 1 or 2", labelPath, i+1, labels[i])
		}
		out = append(out, Item{Text: clean(t), Label: l, Source: "tweeteval"})
	}
	return out, nil
}

func lines(path string) ([]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := strings.TrimRight(string(raw), "\n")
	return strings.Split(s, "\n"), nil
}

// SemEval reads a SemEval or MAMS aspect file; a sentence's label is the
// polarity its opinions agree on, as for Zhijiang. Sentences without
// opinions are left out (SemEval 2016 marks them out of scope).
func SemEval(path, source string) ([]Item, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type opinion struct {
		Polarity string `xml:"polarity,attr"`
	}
	type sentence struct {
		Text       string    `xml:"text"`
		Categories []opinion `xml:"aspectCategories>aspectCategory"`
		Opinions   []opinion `xml:"Opinions>Opinion"`
	}
	dec := xml.NewDecoder(f)
	var out []Item
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "sentence" {
			continue
		}
		var s sentence
		if err := dec.DecodeElement(&s, &se); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		var ls []int
		for _, o := range append(s.Categories, s.Opinions...) {
			switch o.Polarity {
			case "positive":
				ls = append(ls, Positive)
			case "negative":
				ls = append(ls, Negative)
			case "neutral":
				ls = append(ls, Neutral)
			}
		}
		if l, ok := agree(ls); ok && strings.TrimSpace(s.Text) != "" {
			out = append(out, Item{Text: clean(s.Text), Label: l, Source: source})
		}
	}
}

// Dedupe drops repeated texts (after trimming and lower-casing); a text seen
// with conflicting labels is dropped altogether. Order is kept.
func Dedupe(items []Item) []Item {
	key := func(t string) string { return strings.ToLower(strings.Join(strings.Fields(t), " ")) }
	label := map[string]int{}
	for _, it := range items {
		k := key(it.Text)
		if l, ok := label[k]; ok && l != it.Label {
			label[k] = -1
		} else if !ok {
			label[k] = it.Label
		}
	}
	seen := map[string]bool{}
	out := items[:0:0]
	for _, it := range items {
		k := key(it.Text)
		if label[k] < 0 || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, it)
	}
	return out
}
