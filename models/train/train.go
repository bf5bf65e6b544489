// Package train builds vocal's sentiment models from the public corpora in
// ../shared/datasets (`vocal train`): it reads and deduplicates them, splits
// them by a hash of the text, trains with a fixed seed, measures held-out,
// cross-validated and leave-one-category-out figures, and writes the model
// files with their model card.
package train

import (
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/models"
	"github.com/vocal-dev/vocal/segment"
	"github.com/vocal-dev/vocal/sentiment"
)

// Config sets a training run.
type Config struct {
	Datasets string           // directory of the public corpora (../shared/datasets)
	Out      string           // directory the model files and card are written to
	Version  string           // model version recorded in the files
	Command  string           // the command line, recorded in the card
	Fit      models.FitConfig // learner settings (Seed included)
	Buckets  map[string]int   // hashed feature space per language
	Lexicons *lexicons.Set    // lexicons the features are computed with
	Log      io.Writer        // progress lines; nil discards
	Only     map[string]bool  // languages to train (nil: all)
}

// Corpus is one language's labelled items with their features.
type corpus struct {
	lang     string
	items    []Item
	feats    [][]models.Feature
	lexScore []float64
}

// Run trains and measures every model and writes them to cfg.Out.
func Run(cfg Config) (*Report, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	seg, err := segment.New(segment.ConfigFor(cfg.Lexicons))
	if err != nil {
		return nil, err
	}
	scorer := sentiment.New(seg, cfg.Lexicons)
	rep := &Report{Version: cfg.Version, Command: cfg.Command, Lexicons: cfg.Lexicons.Version, Fit: cfg.Fit,
		Figures: map[string]float64{}}
	for _, lang := range []string{"zh", "en"} {
		if cfg.Only != nil && !cfg.Only[lang] {
			continue
		}
		start := time.Now()
		items, err := load(cfg.Datasets, lang)
		if err != nil {
			return nil, err
		}
		c := &corpus{lang: lang, items: items}
		featurize(c, seg, scorer)
		fmt.Fprintf(cfg.Log, "%s: %d items featurized in %s\n", lang, len(items), time.Since(start).Round(time.Millisecond))
		t := &trainer{cfg: cfg, c: c, rep: rep}
		var m *models.Linear
		if lang == "zh" {
			m, err = t.zh()
		} else {
			m, err = t.en()
		}
		if err != nil {
			return nil, err
		}
		tm, err := trainTopics(cfg, lang, seg, scorer, rep)
		if err != nil {
			return nil, err
		}
		for _, m := range []*models.Linear{m, tm} {
			rep.Models = append(rep.Models, m.Header)
			if err := writeModel(cfg.Out, m); err != nil {
				return nil, err
			}
		}
		fmt.Fprintf(cfg.Log, "%s: done in %s\n", lang, time.Since(start).Round(time.Millisecond))
	}
	return rep, rep.write(cfg.Out)
}

func load(dir, lang string) ([]Item, error) {
	var all []Item
	add := func(items []Item, err error) error {
		all = append(all, items...)
		return err
	}
	p := func(parts ...string) string { return filepath.Join(append([]string{dir}, parts...)...) }
	var errs []error
	if lang == "zh" {
		errs = append(errs,
			add(Shopping(p("online_shopping_10_cats.csv"))),
			add(Weibo(p("weibo_senti_subset.csv"))),
			add(Zhijiang(p("zhijiang2019"))))
	} else {
		for _, s := range []string{"amazon_cells", "yelp", "imdb"} {
			errs = append(errs, add(UCI(p("uci_sentences", s+"_labelled.txt"), "uci-"+s)))
		}
		errs = append(errs,
			add(SemEval(p("semeval", "Restaurants_Train.xml"), "semeval14-restaurants")),
			add(SemEval(p("semeval", "ABSA16_Restaurants_Train_SB1_v2.xml"), "semeval16-restaurants")),
			add(SemEval(p("semeval", "ABSA16_Laptops_Train_SB1_v2.xml"), "semeval16-laptops")),
			add(SemEval(p("semeval", "MAMS_ACSA_train.xml"), "mams")),
			add(TweetEval(p("tweeteval", "sentiment", "val_text.txt"), p("tweeteval", "sentiment", "val_labels.txt"))))
	}
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("train: %w (is --datasets the ../shared/datasets directory?)", err)
		}
	}
	return Dedupe(all), nil
}

func featurize(c *corpus, seg *segment.Segmenter, scorer *sentiment.Scorer) {
	c.feats = make([][]models.Feature, len(c.items))
	c.lexScore = make([]float64, len(c.items))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(c.items); i += workers {
				doc := seg.Segment(c.items[i].Text)
				res := scorer.Score(doc)
				c.feats[i] = sentiment.Features(doc, res, nil)
				c.lexScore[i] = res.Score
			}
		}()
	}
	wg.Wait()
}

// bucket assigns a text to one of n folds by a hash of its text, so splits do
// not depend on file order.
func bucket(text string, n uint32) uint32 {
	h := fnv.New32a()
	h.Write([]byte(text))
	return h.Sum32() % n
}

var sourceWeight = map[string]float32{"tweeteval": 3}

type trainer struct {
	cfg Config
	c   *corpus
	rep *Report
}

// fit trains on the items idx, holding 1/20 of them out to calibrate the
// temperature.
func (t *trainer) fit(idx []int) (*models.Linear, error) {
	var fitSet, calib []models.Example
	for _, i := range idx {
		ex := models.Example{Features: t.c.feats[i], Class: t.c.items[i].Label, Weight: sourceWeight[t.c.items[i].Source]}
		if bucket(t.c.items[i].Text+"\x00calibration", 20) == 0 {
			calib = append(calib, ex)
		} else {
			fitSet = append(fitSet, ex)
		}
	}
	h := models.Header{Name: "sentiment-" + t.c.lang, Version: t.cfg.Version, Classes: Classes,
		Buckets: t.cfg.Buckets[t.c.lang], Features: sentiment.FeatureSet}
	m, err := models.Fit(h, fitSet, t.cfg.Fit)
	if err != nil {
		return nil, err
	}
	return m, models.Calibrate(m, calib)
}

// fitAll runs fits concurrently, one per training set, in order.
func (t *trainer) fitAll(sets [][]int) ([]*models.Linear, error) {
	out := make([]*models.Linear, len(sets))
	errs := make([]error, len(sets))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, idx := range sets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i], errs[i] = t.fit(idx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// select returns the indices of items for which keep is true.
func (t *trainer) pick(keep func(it *Item) bool) []int {
	var idx []int
	for i := range t.c.items {
		if keep(&t.c.items[i]) {
			idx = append(idx, i)
		}
	}
	return idx
}

// testSplit is the held-out tenth of a corpus.
func testSplit(it *Item) bool { return bucket(it.Text, 10) == 0 }

func (t *trainer) zh() (*models.Linear, error) {
	shoppingTest := func(it *Item) bool { return it.Source == "shopping" && testSplit(it) }
	weiboFold := func(it *Item) uint32 { return bucket(it.Text, 5) }
	sets := [][]int{t.pick(func(it *Item) bool { return !shoppingTest(it) })}
	for k := range uint32(5) {
		sets = append(sets, t.pick(func(it *Item) bool {
			return !shoppingTest(it) && (it.Source != "weibo" || weiboFold(it) != k)
		}))
	}
	cats := t.groups()
	for _, cat := range cats {
		sets = append(sets, t.pick(func(it *Item) bool { return it.Group != cat && !shoppingTest(it) }))
	}
	fits, err := t.fitAll(sets)
	if err != nil {
		return nil, err
	}
	shipped := fits[0]
	t.score("zh.shopping_test", shipped, t.pick(shoppingTest), false)
	var weibo []evalPair
	for k := range uint32(5) {
		for _, i := range t.pick(func(it *Item) bool { return it.Source == "weibo" && weiboFold(it) == k }) {
			weibo = append(weibo, evalPair{fits[1+k], i})
		}
	}
	t.scorePairs("zh.weibo_cv5", weibo, false)
	var accs []float64
	for j, cat := range cats {
		a := t.score("zh.loco."+cat, fits[6+j], t.pick(func(it *Item) bool { return it.Group == cat }), false)
		accs = append(accs, a)
	}
	mean, worst := 0.0, 1.0
	for _, a := range accs {
		mean += a / float64(len(accs))
		worst = min(worst, a)
	}
	t.rep.Figures["zh.loco_mean"], t.rep.Figures["zh.loco_worst"] = mean, worst
	shipped.Metrics = t.rep.subset("zh.")
	return shipped, nil
}

func (t *trainer) en() (*models.Linear, error) {
	uci := []string{"uci-amazon_cells", "uci-yelp", "uci-imdb"}
	sets := [][]int{t.pick(func(*Item) bool { return true })}
	for _, s := range uci {
		sets = append(sets, t.pick(func(it *Item) bool { return it.Source != s }))
	}
	tweetFold := func(it *Item) uint32 { return bucket(it.Text, 5) }
	for k := range uint32(5) {
		sets = append(sets, t.pick(func(it *Item) bool { return it.Source != "tweeteval" || tweetFold(it) != k }))
	}
	fits, err := t.fitAll(sets)
	if err != nil {
		return nil, err
	}
	for j, s := range uci {
		t.score("en."+s+"_heldout", fits[1+j], t.pick(func(it *Item) bool { return it.Source == s }), false)
	}
	var tweets []evalPair
	for k := range uint32(5) {
		for _, i := range t.pick(func(it *Item) bool { return it.Source == "tweeteval" && tweetFold(it) == k }) {
			tweets = append(tweets, evalPair{fits[4+k], i})
		}
	}
	t.scorePairs("en.tweeteval_cv5", tweets, true)
	shipped := fits[0]
	shipped.Metrics = t.rep.subset("en.")
	return shipped, nil
}

func (t *trainer) groups() []string {
	seen := map[string]bool{}
	for _, it := range t.c.items {
		if it.Group != "" {
			seen[it.Group] = true
		}
	}
	var out []string
	for g := range seen {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

type evalPair struct {
	m *models.Linear
	i int
}

func (t *trainer) score(name string, m *models.Linear, idx []int, threeClass bool) float64 {
	pairs := make([]evalPair, len(idx))
	for k, i := range idx {
		pairs[k] = evalPair{m, i}
	}
	return t.scorePairs(name, pairs, threeClass)
}

// scorePairs records, for binary sets, the model's accuracy choosing between
// negative and positive, and the lexicon's (sign of its score) beside it; for
// three-class sets, accuracy and macro-F1 over the three classes.
func (t *trainer) scorePairs(name string, pairs []evalPair, threeClass bool) float64 {
	var conf [3][3]int
	lexOK := 0
	for _, p := range pairs {
		it := t.c.items[p.i]
		probs := p.m.Predict(t.c.feats[p.i], nil)
		pred := Negative
		if threeClass {
			for c := range probs {
				if probs[c] > probs[pred] {
					pred = c
				}
			}
		} else if probs[Positive] > probs[Negative] {
			pred = Positive
		}
		conf[it.Label][pred]++
		if s := t.c.lexScore[p.i]; s != 0 && (s > 0) == (it.Label == Positive) {
			lexOK++
		}
	}
	n := len(pairs)
	acc := float64(conf[0][0]+conf[1][1]+conf[2][2]) / float64(max(n, 1))
	t.rep.Figures[name+".n"] = float64(n)
	t.rep.Figures[name+".acc"] = acc
	if threeClass {
		t.rep.Figures[name+".macro_f1"] = macroF1(conf)
		fmt.Fprintf(t.cfg.Log, "  %s confusion (rows gold neg/neu/pos, columns predicted): %v\n", name, conf)
	} else {
		t.rep.Figures[name+".lexicon_acc"] = float64(lexOK) / float64(max(n, 1))
	}
	fmt.Fprintf(t.cfg.Log, "  %-40s n=%-6d acc=%.4f\n", name, n, acc)
	return acc
}

func macroF1(conf [3][3]int) float64 {
	sum := 0.0
	for c := range 3 {
		tp, fp, fn := conf[c][c], 0, 0
		for o := range 3 {
			if o != c {
				fp += conf[o][c]
				fn += conf[c][o]
			}
		}
		if tp > 0 {
			p, r := float64(tp)/float64(tp+fp), float64(tp)/float64(tp+fn)
			sum += 2 * p * r / (p + r)
		}
	}
	return sum / 3
}

func writeModel(dir string, m *models.Linear) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, m.Name+models.Ext)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := m.Write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
