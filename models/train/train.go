// Package train builds vocal's sentiment models from the public corpora in
// ../shared/datasets (`vocal train`): it reads and deduplicates them, splits
// them by a hash of the text, trains with a fixed seed, measures held-out,
// cross-validated and leave-one-category-out figures, and writes the model
// files with their model card.
package train

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
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
	Balance  bool             // weigh sources by sqrt(mean size / size) per item
}

// corpus is one language's labelled items with their features and the
// lexicon scorer's own label.
type corpus struct {
	lang     string
	items    []Item
	feats    [][]models.Feature
	lexLabel []string
	enquiry  []bool
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
		items, err := load(sources, cfg.Datasets, lang)
		if err != nil {
			return nil, err
		}
		c := &corpus{lang: lang, items: Dedupe(items)}
		featurize(c, seg, scorer)
		fmt.Fprintf(cfg.Log, "%s: %d items featurized in %s\n", lang, len(c.items), time.Since(start).Round(time.Millisecond))
		t := &trainer{cfg: cfg, c: c, rep: rep}
		m, err := t.sentiment()
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

func featurize(c *corpus, seg *segment.Segmenter, scorer *sentiment.Scorer) {
	c.feats = make([][]models.Feature, len(c.items))
	c.lexLabel = make([]string, len(c.items))
	c.enquiry = make([]bool, len(c.items))
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
				c.lexLabel[i], c.enquiry[i] = res.Label, res.Enquiry
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

type trainer struct {
	cfg Config
	c   *corpus
	rep *Report
}

// examples turns the items idx into training examples, holding 1/20 of them
// out to calibrate the temperature. With Balance, each source weighs
// sqrt(mean source size / its size) per item, so the largest corpora do not
// set the class prior alone.
func (t *trainer) examples(idx []int) (fit, calib []models.Example) {
	size := map[string]int{}
	for _, i := range idx {
		size[t.c.items[i].Source]++
	}
	mean := float64(len(idx)) / float64(max(len(size), 1))
	for _, i := range idx {
		it := t.c.items[i]
		ex := models.Example{Features: t.c.feats[i], Class: it.Label}
		if t.cfg.Balance {
			ex.Weight = float32(math.Sqrt(mean / float64(size[it.Source])))
		}
		if bucket(it.Text+"\x00calibration", 20) == 0 {
			calib = append(calib, ex)
		} else {
			fit = append(fit, ex)
		}
	}
	return fit, calib
}

// fit trains and calibrates a sentiment model on the items idx.
func (t *trainer) fit(idx []int) (*models.Linear, error) {
	fitSet, calib := t.examples(idx)
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
	return out, errors.Join(errs...)
}

// unsureGrid are the values of the model-lexicon rule the protocol compares.
var unsureGrid = []float64{0, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9}

// sentiment runs the leave-one-corpus-out protocol and returns the shipped
// model. The shipped model trains on every source that may ship; each of
// those sources is scored by a model trained on the others, and research
// sources (never trained on) by the shipped model. The model-lexicon rule
// (Decide's unsure) is the value of unsureGrid with the best mean accuracy
// over the sources, stored in the shipped model.
func (t *trainer) sentiment() (*models.Linear, error) {
	var names []string
	bySource := map[string][]int{}
	var shippable []int
	for i, it := range t.c.items {
		if bySource[it.Source] == nil {
			names = append(names, it.Source)
		}
		bySource[it.Source] = append(bySource[it.Source], i)
		if !sourceNamed(sources, it.Source).research {
			shippable = append(shippable, i)
		}
	}
	sets := [][]int{shippable}
	heldOut := map[string]int{}
	for _, name := range names {
		if sourceNamed(sources, name).research {
			continue
		}
		heldOut[name] = len(sets)
		var idx []int
		for _, i := range shippable {
			if t.c.items[i].Source != name {
				idx = append(idx, i)
			}
		}
		sets = append(sets, idx)
	}
	t.rep.Figures[t.c.lang+".trained_n"] = float64(len(shippable))
	fits, err := t.fitAll(sets)
	if err != nil {
		return nil, err
	}
	probs := make([][3]float64, len(t.c.items))
	for i, it := range t.c.items {
		m := fits[0]
		if j, ok := heldOut[it.Source]; ok {
			m = fits[j]
		}
		p := m.Predict(t.c.feats[i], nil)
		probs[i] = [3]float64{p[Negative], p[Neutral], p[Positive]}
	}
	ev := &protocol{t: t, names: names, bySource: bySource, probs: probs}
	unsure := ev.choose()
	ev.record(unsure)
	shipped := fits[0]
	shipped.Unsure = unsure
	shipped.Metrics = t.rep.subset(t.c.lang + ".")
	return shipped, nil
}

// protocol scores labelling rules on the held-out predictions.
type protocol struct {
	t        *trainer
	names    []string
	bySource map[string][]int
	probs    [][3]float64
}

// rule labels item i.
type rule func(i int) int

func (p *protocol) decide(unsure float64) rule {
	return func(i int) int {
		l, _ := sentiment.Decide(p.probs[i], p.t.c.lexLabel[i], p.t.c.enquiry[i], unsure)
		return sentimentClass[l]
	}
}

func (p *protocol) lexicon(i int) int { return sentimentClass[p.t.c.lexLabel[i]] }

// previous is version 1's rule: the lexicons decide neutrality, and a
// polar text takes the model's class when it agrees or has probability 0.7.
func (p *protocol) previous(i int) int {
	lex, model := p.lexicon(i), argmax(p.probs[i])
	if lex != Neutral && (model == lex || p.probs[i][model] >= 0.7) {
		return model
	}
	return lex
}

// score is a rule's accuracy (sign accuracy on binary sources) and macro-F1
// over the items idx.
func (p *protocol) score(r rule, idx []int) (acc, f1 float64) {
	var conf [3][3]int
	for _, i := range idx {
		conf[p.t.c.items[i].Label][r(i)]++
	}
	return float64(conf[0][0]+conf[1][1]+conf[2][2]) / float64(max(len(idx), 1)), macroF1(conf)
}

// mean is the mean and worst of acc over the binary or the three-class
// sources.
func (p *protocol) mean(binary bool, acc func(idx []int) float64) (mean, worst float64) {
	n := 0
	worst = 1
	for _, name := range p.names {
		if sourceNamed(sources, name).binary != binary {
			continue
		}
		a := acc(p.bySource[name])
		mean += a
		worst = min(worst, a)
		n++
	}
	if n == 0 {
		return 0, 0
	}
	return mean / float64(n), worst
}

// accuracy is the accuracy of a rule, for mean.
func (p *protocol) accuracy(r rule) func(idx []int) float64 {
	return func(idx []int) float64 { acc, _ := p.score(r, idx); return acc }
}

// choose returns the unsure value whose rule has the best mean accuracy
// over all sources (three-class and binary alike), logging the grid.
func (p *protocol) choose() float64 {
	best, bestScore := 0.0, -1.0
	lang := p.t.c.lang
	for _, u := range unsureGrid {
		r := p.decide(u)
		m3, w3 := p.mean(false, p.accuracy(r))
		m2, w2 := p.mean(true, p.accuracy(r))
		all := p.overall(r)
		p.t.rep.Figures[fmt.Sprintf("%s.rule.unsure_%.2f.mean_acc", lang, u)] = all
		fmt.Fprintf(p.t.cfg.Log, "  %s unsure %.2f: 3-class mean %.4f worst %.4f, binary mean %.4f worst %.4f, all %.4f\n",
			lang, u, m3, w3, m2, w2, all)
		if all > bestScore {
			best, bestScore = u, all
		}
	}
	for name, r := range map[string]rule{"lexicon": p.lexicon, "previous": p.previous} {
		p.t.rep.Figures[lang+".rule."+name+".mean_acc"] = p.overall(r)
	}
	return best
}

// overall is a rule's mean accuracy over every source.
func (p *protocol) overall(r rule) float64 {
	sum := 0.0
	for _, name := range p.names {
		acc, _ := p.score(r, p.bySource[name])
		sum += acc
	}
	return sum / float64(max(len(p.names), 1))
}

// record writes the per-source figures of the chosen rule, the model alone,
// the lexicons alone and the previous rule, with the model's calibration
// error, and the per-domain accuracy of the chosen rule.
func (p *protocol) record(unsure float64) {
	lang := p.t.c.lang
	fig := p.t.rep.Figures
	chosen := p.decide(unsure)
	model := func(i int) int { return argmax(p.probs[i]) }
	for _, name := range p.names {
		idx := p.bySource[name]
		key := lang + ".loco." + name + "."
		fig[key+"n"] = float64(len(idx))
		acc, f1 := p.score(chosen, idx)
		fig[key+"acc"] = acc
		fig[key+"model_acc"], _ = p.score(model, idx)
		fig[key+"lexicon_acc"], _ = p.score(p.lexicon, idx)
		fig[key+"previous_acc"], _ = p.score(p.previous, idx)
		if sourceNamed(sources, name).binary {
			fig[key+"sign_acc"] = p.sign(idx)
		} else {
			fig[key+"macro_f1"] = f1
			fig[key+"ece"] = p.ece(idx)
		}
		groups := map[string][]int{}
		for _, i := range idx {
			if g := p.t.c.items[i].Group; g != "" {
				groups[g] = append(groups[g], i)
			}
		}
		if len(groups) > 1 {
			for g, gi := range groups {
				fig[key+"domain."+g+".acc"], _ = p.score(chosen, gi)
			}
		}
		fmt.Fprintf(p.t.cfg.Log, "  %-40s n=%-6d acc=%.4f model=%.4f lexicon=%.4f previous=%.4f\n",
			key, len(idx), acc, fig[key+"model_acc"], fig[key+"lexicon_acc"], fig[key+"previous_acc"])
	}
	for _, binary := range []bool{false, true} {
		kind := "three_class"
		if binary {
			kind = "binary"
		}
		fig[lang+".loco."+kind+"_mean_acc"], fig[lang+".loco."+kind+"_worst_acc"] = p.mean(binary, p.accuracy(chosen))
		fig[lang+".loco."+kind+"_previous_mean_acc"], _ = p.mean(binary, p.accuracy(p.previous))
	}
	fig[lang+".loco.binary_sign_mean_acc"], fig[lang+".loco.binary_sign_worst_acc"] = p.mean(true, p.sign)
	fig[lang+".unsure"] = unsure
}

// sign is the accuracy over the items idx of a negative/positive source
// when the model only chooses between the two (P(positive) > P(negative)),
// as a binary sentiment classifier is measured.
func (p *protocol) sign(idx []int) float64 {
	hit := 0
	for _, i := range idx {
		pos := p.probs[i][Positive] > p.probs[i][Negative]
		if pos == (p.t.c.items[i].Label == Positive) {
			hit++
		}
	}
	return float64(hit) / float64(max(len(idx), 1))
}

// ece is the expected calibration error of the model's most probable class
// over the items idx, in 10 equal-width bins of its probability.
func (p *protocol) ece(idx []int) float64 {
	var n, hit [10]int
	var conf [10]float64
	for _, i := range idx {
		c := argmax(p.probs[i])
		b := min(int(p.probs[i][c]*10), 9)
		n[b]++
		conf[b] += p.probs[i][c]
		if c == p.t.c.items[i].Label {
			hit[b]++
		}
	}
	e := 0.0
	for b := range 10 {
		if n[b] > 0 {
			e += math.Abs(float64(hit[b])-conf[b]) / float64(len(idx))
		}
	}
	return e
}

func argmax(p [3]float64) int {
	best := 0
	for c := 1; c < 3; c++ {
		if p[c] > p[best] {
			best = c
		}
	}
	return best
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
