package topics_test

import (
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/segment"
	"github.com/vocal-dev/vocal/segment/segmenttest"
	"github.com/vocal-dev/vocal/sentiment"
	"github.com/vocal-dev/vocal/topics"
)

// analyzer is a scorer, a topic tagger and a risk tagger over one lexicon set.
type analyzer struct {
	scorer *sentiment.Scorer
	tagger *topics.Tagger
	risk   *topics.RiskTagger
}

type fixture struct {
	seg *segment.Segmenter
	def *analyzer // the shipped lexicons
	// small uses the small test lexicons and the custom taxonomy below, so
	// that the mechanism tests do not move when the shipped data is tuned.
	small *analyzer
}

// build makes the scorers (and taggers) of the shared default segmenter: one
// over the default lexicons, one over the small test lexicons below; mustShared
// builds them once per test binary.
func build(seg *segment.Segmenter, def *lexicons.Set) (*fixture, error) {
	small, err := lexicons.Load(smallLexicons)
	if err != nil {
		return nil, err
	}
	f := &fixture{seg: seg}
	if f.def, err = newAnalyzer(seg, def); err != nil {
		return nil, err
	}
	if f.small, err = newAnalyzer(seg, small); err != nil {
		return nil, err
	}
	return f, nil
}

func newAnalyzer(seg *segment.Segmenter, set *lexicons.Set) (*analyzer, error) {
	a := &analyzer{scorer: sentiment.New(seg, set)}
	var err error
	if a.tagger, err = topics.New(seg, a.scorer, set.Taxonomy); err != nil {
		return nil, err
	}
	if a.risk, err = topics.NewRisk(seg, set.Risk); err != nil {
		return nil, err
	}
	return a, nil
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

// result is one text through an analyzer.
type result struct {
	doc      *segment.Doc
	sent     sentiment.Result
	risk     topics.Risk
	mentions []topics.Mention
}

func (a *analyzer) run(t testing.TB, text string) result {
	t.Helper()
	d := mustShared(t).seg.Segment(text)
	sent := a.scorer.Score(d)
	risk := a.risk.Tag(d, sent)
	return result{doc: d, sent: sent, risk: risk, mentions: a.tagger.Tag(d, sent, risk)}
}

func lexFile(lines ...string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte("# topics test lexicon\n# author: topics tests\n# how: written by hand for these tests\n" +
		strings.Join(lines, "\n") + "\n")}
}

// smallTaxonomy is a custom taxonomy: the shipped topic keys cut down to a few
// cues, plus a packaging topic no code knows about.
const smallTaxonomy = `# test taxonomy
# author: topics tests
# how: written by hand for these tests
version: 1
topics:
  - key: price
    label: {zh: 价格, en: Price}
    cues: [价格, 贵, 便宜, price, expensive]
    patterns: ['花了[0-9一二两三四五六七八九十百]+(块|元)']
    exclude: [贵公司, 宝贵, priceless]
  - key: function
    cues: [质量, 好用, 充电器, quality]
    risk_categories: [safety]
  - key: service_attitude
    cues: [客服, 态度, support]
    patterns: ['打了[0-9一二两三四五六七八九十几]+次电话']
  - key: logistics
    cues: [物流, 快递, 发货, deliver*, shipping]
    patterns: ['等了[0-9一二两三四五六七八九十半]+(天|周|个月)才到', 'took \w+ (days|weeks) to arrive']
    exclude: [快递员态度]
  - key: packaging
    label: {zh: 包装, en: Packaging}
    cues: [包装, packaging]
    patterns: ['(盒子|箱子)(都)?(压扁|破|烂)了']
`

// smallLexicons is the lexicon of the mechanism tests. Its connectives are a
// subset of the default ones the shared segmenter splits clauses on.
var smallLexicons = fstest.MapFS{
	lexicons.FileSentimentZh: lexFile("好\t2", "好用\t1.5", "不错\t2", "慢\t-2", "快\t1.5", "快递\t0", "贵\t-1.5", "差\t-2",
		"便宜\t1", "冒烟\t-2.5", "起火\t-2.5"),
	lexicons.FileSentimentEn: lexFile("good\t2", "slow\t-2", "fast\t1.5", "expensive\t-1.5"),
	lexicons.FileEmoji:       lexFile("👍\t2"),
	lexicons.FileModifiers: lexFile(
		"不\tnegator\t-0.8", "没有\tnegator\t-0.8", "not\tnegator\t-0.75", "never\tnegator\t-0.8",
		"很\tintensifier\t1.3", "太\tintensifier\t1.5", "有点\tdiminisher\t0.6",
		"但是\tcontrast\t2", "but\tcontrast\t2", "虽然\tconcession\t0.5",
		"担心\thypothetical\t1", "if\thypothetical\t1", "差点\tevent\t1", "almost\tevent\t1"),
	lexicons.FileRisk: lexFile(
		"起火\tsafety\tcritical", "冒烟\tsafety\tcritical", "catches fire\tsafety\tcritical", "caught fire\tsafety\tcritical",
		"scam\tfraud\tcritical", "泄露\tprivacy\tcritical",
		"起诉\tlegal\thigh", "sue\tlegal\thigh", "report you to\tregulator\thigh", "曝光\tmedia\thigh",
		"再也不买\tchurn\tmedium", "cancel my subscription\tchurn\tmedium",
		"re:以后不(会)?(再)?(买|来)了\tchurn\tmedium", "re:(电池|充电宝)(鼓包|爆了)\tsafety\tcritical",
		"re:骗了?我[0-9一二两三四五六七八九十百千]+(块|元)\tfraud\tcritical", "re:charged .{0,12}without (my )?(consent|permission)\tfraud\tcritical",
	),
	lexicons.FileTaxonomy: {Data: []byte(smallTaxonomy)},
}
