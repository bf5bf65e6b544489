package train

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// TopicClasses are the classes of the topic models: no default topic, then
// the default taxonomy's topics.
var TopicClasses = []string{"none", "price", "function", "service_attitude", "logistics"}

// AspectItem is a text with the default topics its opinions are about; At
// holds, per topic, rune offsets of the opinion in Text (nil when the corpus
// labels whole sentences).
type AspectItem struct {
	Text   string
	Source string
	Topics []string
	At     []int
}

// zhijiangTopic maps Zhijiang 2019 categories to default topics
// (../shared/datasets/README.md).
var zhijiangTopic = map[string]string{"价格": "price", "物流": "logistics", "服务": "service_attitude", "使用体验": "function", "功效": "function"}

// ZhijiangAspects reads the Zhijiang reviews with the offset of each opinion
// on a default topic (the opinion term, else the aspect term).
func ZhijiangAspects(dir string) ([]AspectItem, error) {
	index := map[string]int{}
	var out []AspectItem
	err := readCSV(filepath.Join(dir, "Train_reviews.csv"), 2, func(rec []string) error {
		index[rec[0]] = len(out)
		out = append(out, AspectItem{Text: clean(rec[1]), Source: "zhijiang"})
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readCSV(filepath.Join(dir, "Train_labels.csv"), 9, func(rec []string) error {
		i, ok := index[rec[0]]
		topic := zhijiangTopic[rec[7]]
		if !ok || topic == "" {
			return nil
		}
		at := -1
		for _, s := range []string{rec[5], rec[2]} {
			if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
				at = n
				break
			}
		}
		if at < 0 {
			return fmt.Errorf("opinion of review %s has no offset", rec[0])
		}
		out[i].Topics = append(out[i].Topics, topic)
		out[i].At = append(out[i].At, at)
		return nil
	})
	return out, err
}

// semevalTopic maps a SemEval or MAMS category to a default topic: prices,
// service and staff, shipping, and a laptop's (or its parts') quality,
// performance, usability and design.
func semevalTopic(category string, laptops bool) string {
	c := strings.ToUpper(category)
	entity, attr, _ := strings.Cut(c, "#")
	switch {
	case c == "PRICE" || attr == "PRICES" || attr == "PRICE":
		return "price"
	case c == "SERVICE" || c == "STAFF" || entity == "SERVICE" || entity == "SUPPORT":
		return "service_attitude"
	case entity == "SHIPPING":
		return "logistics"
	case laptops && (attr == "QUALITY" || attr == "OPERATION_PERFORMANCE" || attr == "USABILITY" || attr == "DESIGN_FEATURES"):
		return "function"
	}
	return ""
}

// SemEvalAspects reads the sentences of a SemEval or MAMS file with the
// default topics of their categories (sentence-level labels).
func SemEvalAspects(path, source string) ([]AspectItem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type category struct {
		Category string `xml:"category,attr"`
	}
	type sentence struct {
		Text       string     `xml:"text"`
		Categories []category `xml:"aspectCategories>aspectCategory"`
		Opinions   []category `xml:"Opinions>Opinion"`
	}
	laptops := strings.Contains(strings.ToLower(source), "laptop")
	dec := xml.NewDecoder(f)
	var out []AspectItem
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
		it := AspectItem{Text: clean(s.Text), Source: source}
		seen := map[string]bool{}
		for _, c := range append(s.Categories, s.Opinions...) {
			if t := semevalTopic(c.Category, laptops); t != "" && !seen[t] {
				seen[t] = true
				it.Topics = append(it.Topics, t)
			}
		}
		if it.Text != "" {
			out = append(out, it)
		}
	}
}
