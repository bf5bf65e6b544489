package sentiment_test

import (
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/segment"
	"github.com/vocal-dev/vocal/segment/segmenttest"
	"github.com/vocal-dev/vocal/sentiment"
)

// build makes the scorers (and taggers) of the shared default segmenter: one
// over the default lexicons, one over the small test lexicons below; mustShared
// builds them once per test binary.
func build(seg *segment.Segmenter, def *lexicons.Set) (*fixture, error) {
	small, err := lexicons.Load(smallLexicons)
	if err != nil {
		return nil, err
	}
	return &fixture{seg: seg, def: sentiment.New(seg, def), small: sentiment.New(seg, small)}, nil
}

type fixture struct {
	seg        *segment.Segmenter
	def, small *sentiment.Scorer
}

var shared struct {
	once sync.Once
	f    *fixture
	err  error
}

func mustShared(t testing.TB) *fixture {
	t.Helper()
	seg, def := segmenttest.Default(t)
	shared.once.Do(func() { shared.f, shared.err = build(seg, def) })
	if shared.err != nil {
		t.Fatalf("test fixture: %v", shared.err)
	}
	return shared.f
}

func tsv(lines ...string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte("# sentiment test lexicon\n# author: sentiment tests\n# how: written by hand for these tests; weights are round numbers so that values can be checked\n" +
		strings.Join(lines, "\n") + "\n")}
}

// smallLexicons is the lexicon of the mechanism tests: a few terms with round
// weights, so that those tests do not move when the shipped lexicons are
// tuned. Its connectives are a subset of the default ones the shared
// segmenter splits clauses on. VADER still loads beneath sentiment_en.tsv, so
// the English test texts use only words listed here or neutral in VADER.
var smallLexicons = fstest.MapFS{
	lexicons.FileSentimentZh: tsv("好\t2", "好用\t1.5", "不错\t2", "喜欢\t1.5", "慢\t-2", "快\t1.5", "快递\t0", "贵\t-1.5",
		"差\t-2", "满意\t2"),
	lexicons.FileSentimentEn: tsv("good\t2", "slow\t-2", "works\t1", "happy\t2"),
	lexicons.FileEmoji:       tsv("👍\t2", "😡\t-3"),
	lexicons.FileModifiers: tsv(
		"不\tnegator\t-0.8", "没有\tnegator\t-0.8", "不是\tnegator\t-0.75",
		"not\tnegator\t-0.75", "never\tnegator\t-0.8", "no longer\tnegator\t-0.8",
		"很\tintensifier\t1.3", "非常\tintensifier\t1.5", "very\tintensifier\t1.3",
		"有点\tdiminisher\t0.6", "a bit\tdiminisher\t0.6",
		"但是\tcontrast\t2", "but\tcontrast\t2",
		"虽然\tconcession\t0.5", "although\tconcession\t0.5",
		"这也叫\trhetorical\t-2", "you call this\trhetorical\t-2",
		"担心\thypothetical\t1", "差点\tevent\t1"),
}

// hit is what a test expects of one sentiment Hit: the lexicon term, the
// original text and rune offsets of its span, and the modifiers applied.
type hit struct {
	term       string
	evidence   string
	start, end int
	mods       []string
}

func hitsOf(d *segment.Doc, r sentiment.Result) []hit {
	rs := []rune(d.Original)
	var out []hit
	for _, h := range r.Hits {
		out = append(out, hit{h.Term, string(rs[h.Start:h.End]), h.Start, h.End, h.Modifiers})
	}
	return out
}

func equalHits(a, b []hit) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].term != b[i].term || a[i].evidence != b[i].evidence || a[i].start != b[i].start || a[i].end != b[i].end ||
			strings.Join(a[i].mods, "|") != strings.Join(b[i].mods, "|") {
			return false
		}
	}
	return true
}

func score(t testing.TB, sc *sentiment.Scorer, text string) (*segment.Doc, sentiment.Result) {
	t.Helper()
	d := mustShared(t).seg.Segment(text)
	return d, sc.Score(d)
}
