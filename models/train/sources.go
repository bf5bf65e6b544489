package train

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// A source is one labelled corpus (sentiment or aspects) and one fold of the
// leave-one-corpus-out protocol: the models are measured on it after
// training on the other sources of their language.
type source[T any] struct {
	name   string
	lang   string // the model it feeds: zh (which also serves mixed text) or en
	binary bool   // negative/positive labels only: scored by the sign, neutral counts wrong
	// research marks a source whose stated terms restrict it to research:
	// it is measured on, never trained into a shipped model.
	research bool
	path     []string // under the datasets directory
	read     func(path, name string) ([]T, error)
}

// sources are the sentiment corpora of ../shared/datasets, in load order
// (deduplication keeps a text's first occurrence). Left out: the Weibo
// subset (contained in weibo_senti_100k) and the TweetEval validation set
// (drawn from semeval_tweets_en).
var sources = []source[Item]{
	{name: "smp2020_ewect_zh", lang: "zh", path: []string{"corpora", "smp2020_ewect_zh.jsonl"}, read: Corpus},
	{name: "jd_laptop_sentiment_zh", lang: "zh", path: []string{"corpora", "jd_laptop_sentiment_zh.jsonl"}, read: Corpus},
	{name: "m_absa_zh", lang: "zh", path: []string{"corpora", "m_absa_zh.jsonl"}, read: Corpus},
	{name: "nlpcc2018_codeswitch_mixed", lang: "zh", path: []string{"corpora", "nlpcc2018_codeswitch_mixed.jsonl"}, read: Corpus},
	{name: "weibo_emotion8_zh", lang: "zh", research: true, path: []string{"corpora", "weibo_emotion8_zh.jsonl"}, read: Corpus},
	{name: "zhijiang", lang: "zh", path: []string{"zhijiang2019"}, read: func(p, _ string) ([]Item, error) { return Zhijiang(p) }},
	{name: "shopping", lang: "zh", binary: true, path: []string{"online_shopping_10_cats.csv"}, read: func(p, _ string) ([]Item, error) { return Shopping(p) }},
	{name: "weibo_senti_100k_zh", lang: "zh", binary: true, path: []string{"corpora", "weibo_senti_100k_zh.jsonl"}, read: Corpus},
	{name: "nlpcc2014_reviews_zh", lang: "zh", binary: true, path: []string{"corpora", "nlpcc2014_reviews_zh.jsonl"}, read: Corpus},

	{name: "tweet_sentiment_en", lang: "en", path: []string{"corpora", "tweet_sentiment_en.jsonl"}, read: Corpus},
	{name: "goemotions_en", lang: "en", path: []string{"corpora", "goemotions_en.jsonl"}, read: Corpus},
	{name: "sst5_en", lang: "en", path: []string{"corpora", "sst5_en.jsonl"}, read: Corpus},
	{name: "m_absa_en", lang: "en", path: []string{"corpora", "m_absa_en.jsonl"}, read: Corpus},
	{name: "mams", lang: "en", path: []string{"semeval", "MAMS_ACSA_train.xml"}, read: SemEval},
	{name: "semeval_tweets_en", lang: "en", research: true, path: []string{"corpora", "semeval_tweets_en.jsonl"}, read: Corpus},
	{name: "semeval14-restaurants", lang: "en", research: true, path: []string{"semeval", "Restaurants_Train.xml"}, read: SemEval},
	{name: "semeval16-restaurants", lang: "en", research: true, path: []string{"semeval", "ABSA16_Restaurants_Train_SB1_v2.xml"}, read: SemEval},
	{name: "semeval16-laptops", lang: "en", research: true, path: []string{"semeval", "ABSA16_Laptops_Train_SB1_v2.xml"}, read: SemEval},
	{name: "uci-amazon_cells", lang: "en", binary: true, path: []string{"uci_sentences", "amazon_cells_labelled.txt"}, read: UCI},
	{name: "uci-yelp", lang: "en", binary: true, path: []string{"uci_sentences", "yelp_labelled.txt"}, read: UCI},
	{name: "uci-imdb", lang: "en", binary: true, path: []string{"uci_sentences", "imdb_labelled.txt"}, read: UCI},
}

// sourceNamed is the source called name in srcs.
func sourceNamed[T any](srcs []source[T], name string) *source[T] {
	for i := range srcs {
		if srcs[i].name == name {
			return &srcs[i]
		}
	}
	return nil
}

// load reads the sources of lang from dir, in order.
func load[T any](srcs []source[T], dir, lang string) ([]T, error) {
	var all []T
	for _, s := range srcs {
		if s.lang != lang {
			continue
		}
		items, err := s.read(filepath.Join(append([]string{dir}, s.path...)...), s.name)
		if err != nil {
			return nil, fmt.Errorf("train: %w (is --datasets the ../shared/datasets directory?)", err)
		}
		all = append(all, items...)
	}
	return all, nil
}

// corpusLine is the part of a normalised corpus line the readers use.
type corpusLine struct {
	Text      string  `json:"text"`
	Domain    string  `json:"domain"`
	Sentiment *string `json:"sentiment"`
	Aspects   []struct {
		Polarity *string `json:"polarity"`
		Topic    *string `json:"topic"`
	} `json:"aspects"`
}

// readCorpus calls fn with each line of a normalised corpus of
// ../shared/datasets/corpora (one JSON object a line) and its line number.
func readCorpus(path string, fn func(l corpusLine, n int) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var l corpusLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if err := fn(l, n); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

var sentimentClass = map[string]int{"negative": Negative, "neutral": Neutral, "positive": Positive}

// Corpus reads the sentiment items of a normalised corpus. The label is the
// line's `sentiment`; an aspect corpus's line without one takes the polarity
// its aspects agree on (as Zhijiang's reviews). Lines with neither are left
// out; Group is the line's domain.
func Corpus(path, name string) ([]Item, error) {
	var out []Item
	err := readCorpus(path, func(l corpusLine, _ int) error {
		label, ok := 0, false
		if l.Sentiment != nil {
			if label, ok = sentimentClass[*l.Sentiment]; !ok {
				return fmt.Errorf("sentiment %q: want negative, neutral or positive", *l.Sentiment)
			}
		} else if len(l.Aspects) > 0 {
			var ls []int
			for _, a := range l.Aspects {
				if a.Polarity == nil {
					continue
				}
				c, known := sentimentClass[*a.Polarity]
				if !known {
					return fmt.Errorf("aspect polarity %q", *a.Polarity)
				}
				ls = append(ls, c)
			}
			label, ok = agree(ls)
		}
		if t := clean(l.Text); ok && t != "" {
			out = append(out, Item{Text: t, Label: label, Source: name, Group: l.Domain})
		}
		return nil
	})
	return out, err
}

// CorpusAspects reads the topic items of a normalised aspect corpus: each
// line is one example whose topics are the default taxonomy keys its
// aspects suggest (none when no aspect has one).
func CorpusAspects(path, name string) ([]AspectItem, error) {
	known := map[string]bool{}
	for _, t := range TopicClasses[1:] {
		known[t] = true
	}
	var out []AspectItem
	err := readCorpus(path, func(l corpusLine, _ int) error {
		it := AspectItem{Text: clean(l.Text), Source: name}
		for _, a := range l.Aspects {
			if a.Topic == nil {
				continue
			}
			if !known[*a.Topic] {
				return fmt.Errorf("aspect topic %q: want one of %v", *a.Topic, TopicClasses[1:])
			}
			if !slices.Contains(it.Topics, *a.Topic) {
				it.Topics = append(it.Topics, *a.Topic)
			}
		}
		if it.Text != "" {
			out = append(out, it)
		}
		return nil
	})
	return out, err
}
