package index

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/highlight/format/plain"
	simplefrag "github.com/blevesearch/bleve/v2/search/highlight/fragmenter/simple"
	simplehl "github.com/blevesearch/bleve/v2/search/highlight/highlighter/simple"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/vocal-dev/vocal/lexicons"
)

// Highlight styles for Query.Highlight.
const (
	// HighlightBrackets marks matched terms as [term]: plain text for terminals
	// and scripts.
	HighlightBrackets = "vocal_brackets"
	// HighlightHTML marks matched terms as <mark>term</mark> and escapes the
	// rest as HTML.
	HighlightHTML = "html"
	// HighlightANSI marks matched terms in reverse video.
	HighlightANSI = "ansi"
)

// DefaultFacets are the facets every search returns.
var DefaultFacets = []string{FieldTopics, FieldSentiment, FieldRiskLevel}

// Query is one search: a query string, filters that all must hold, and what
// to return.
type Query struct {
	// Text is in bleve's query-string syntax (物流 慢, +refund +rude,
	// "customer service", topics:logistics, csat:<=2), with AND, OR and NOT
	// accepted (RewriteBoolean); unqualified terms search the text field.
	// Empty matches every record.
	Text string `json:"text,omitempty"`
	// Topics: each is a topic key (logistics), or topic:sentiment for an
	// aspect (logistics:negative).
	Topics []string `json:"topics,omitempty"`
	// Sentiment is the document label: positive, neutral or negative.
	Sentiment string `json:"sentiment,omitempty"`
	// Risk is a level, meaning that level or above (medium, high, critical;
	// none for records without risk), or a risk category (safety, fraud, ...).
	Risk string `json:"risk,omitempty"`
	// Lang is zh, en, mixed or und.
	Lang string `json:"lang,omitempty"`
	// From and To bound TimeField: From <= t < To; zero means unbounded.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// TimeField is the datetime field From and To apply to (created_at).
	TimeField string `json:"time_field,omitempty"`
	// Fields are exact matches on passthrough fields; values of one name are
	// alternatives, different names must all match. A value that parses as
	// a number also matches a numeric field.
	Fields []FieldMatch `json:"fields,omitempty"`
	// Facets are extra fields to count values of, after DefaultFacets.
	Facets []string `json:"facets,omitempty"`
	// FacetSize is the number of values per facet (10 when 0).
	FacetSize int `json:"facet_size,omitempty"`
	// Sort lists fields, "-" first for descending; _score and _id are
	// allowed. Best score first when empty.
	Sort []string `json:"sort,omitempty"`
	// Size is the page size (10 when 0); Page counts from 1.
	Size int `json:"size,omitempty"`
	Page int `json:"page,omitempty"`
	// Highlight is the style of the fragments (HighlightBrackets when empty).
	Highlight string `json:"highlight,omitempty"`
}

// FieldMatch is one --field name=value filter.
type FieldMatch struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ParseFieldMatch parses name=value.
func ParseFieldMatch(s string) (FieldMatch, error) {
	name, value, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return FieldMatch{}, fmt.Errorf("field filter %q: want name=value", s)
	}
	return FieldMatch{strings.TrimSpace(name), value}, nil
}

// Result is one page of hits with the facets of all matches.
type Result struct {
	Total  uint64        `json:"total"`
	Took   time.Duration `json:"-"`
	TookMS float64       `json:"took_ms"`
	Page   int           `json:"page"`
	Size   int           `json:"size"`
	Hits   []Hit         `json:"hits"`
	Facets []Facet       `json:"facets"`
}

// Hit is one matching record: its id, score, the stored text and the
// highlighted fragments of it (empty when the query has no text terms).
type Hit struct {
	ID        string   `json:"id"`
	Score     float64  `json:"score"`
	Text      string   `json:"text"`
	Fragments []string `json:"fragments"`
}

// Facet counts the values of one field over all matches.
type Facet struct {
	Field   string      `json:"field"`
	Total   int         `json:"total"`
	Missing int         `json:"missing"`
	Other   int         `json:"other"`
	Values  []FacetTerm `json:"values"`
}

// FacetTerm is one value of a facet and the number of matches holding it.
type FacetTerm struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// numericScales are the buckets of numeric facets: one per point of the
// CSAT, NPS and CES scales; score bands for the sentiment score.
var numericScales = map[string][]numericBucket{
	"csat": points(1, 5), "nps": points(0, 10), "ces": points(1, 7),
	FieldSentimentScore: {
		{"[-1,-0.5)", -1, -0.5}, {"[-0.5,-0.15)", -0.5, -0.15}, {"[-0.15,0.15)", -0.15, 0.15},
		{"[0.15,0.5)", 0.15, 0.5}, {"[0.5,1]", 0.5, 1.0001},
	},
}

type numericBucket struct {
	name     string
	min, max float64 // min <= x < max
}

func points(lo, hi int) []numericBucket {
	var b []numericBucket
	for v := lo; v <= hi; v++ {
		b = append(b, numericBucket{strconv.Itoa(v), float64(v), float64(v + 1)})
	}
	return b
}

var riskLevels = []string{lexicons.LevelMedium, lexicons.LevelHigh, lexicons.LevelCritical}

// request builds the bleve search request of q, without facets (Search
// counts them) and highlights (Search asks for those of the page), and
// returns its text query (nil when q has no text).
func (q Query) request() (*bleve.SearchRequest, query.Query, error) {
	// The text query scores the hits; the other conditions only filter.
	var text query.Query
	if strings.TrimSpace(q.Text) != "" {
		parsed, err := bleve.NewQueryStringQuery(RewriteBoolean(q.Text)).Parse()
		if err != nil {
			return nil, nil, fmt.Errorf("query %q: %w", q.Text, err)
		}
		text = prepared(parsed)
	}
	var must []query.Query
	for _, t := range q.Topics {
		if strings.Contains(t, ":") {
			must = append(must, term(FieldAspects, t))
		} else {
			must = append(must, term(FieldTopics, t))
		}
	}
	if q.Sentiment != "" {
		must = append(must, term(FieldSentiment, q.Sentiment))
	}
	if q.Lang != "" {
		must = append(must, term(FieldLang, q.Lang))
	}
	if q.Risk != "" {
		must = append(must, riskQuery(q.Risk))
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		field := q.TimeField
		if field == "" {
			field = FieldCreatedAt
		}
		yes, no := true, false
		r := bleve.NewDateRangeInclusiveQuery(q.From, q.To, &yes, &no)
		r.SetField(field)
		must = append(must, pointRange{r})
	}
	var names []string
	byName := map[string][]string{}
	for _, f := range q.Fields {
		if _, ok := byName[f.Name]; !ok {
			names = append(names, f.Name)
		}
		byName[f.Name] = append(byName[f.Name], f.Value)
	}
	for _, name := range names {
		var alts []query.Query
		for _, v := range byName[name] {
			alts = append(alts, term(name, v))
			if x, err := strconv.ParseFloat(v, 64); err == nil {
				yes := true
				r := bleve.NewNumericRangeInclusiveQuery(&x, &x, &yes, &yes)
				r.SetField(name)
				alts = append(alts, pointRange{r})
			}
		}
		must = append(must, bleve.NewDisjunctionQuery(alts...))
	}
	var root query.Query
	switch {
	case text != nil && len(must) > 0:
		b := bleve.NewBooleanQuery()
		b.AddMust(text)
		b.AddFilter(bleve.NewConjunctionQuery(must...))
		root = b
	case text != nil:
		root = text
	case len(must) > 0: // not a filter over every document: that reads them all
		root = bleve.NewConjunctionQuery(must...)
	default:
		root = bleve.NewMatchAllQuery()
	}

	size, page := q.Size, q.Page
	if size <= 0 {
		size = 10
	}
	if page <= 0 {
		page = 1
	}
	req := bleve.NewSearchRequestOptions(root, size, (page-1)*size, false)
	if text == nil {
		req.Score = bleve.ScoreNone      // only filters: scores mean nothing
		req.Fields = []string{FieldText} // else highlight loads the page's texts
	}
	if len(q.Sort) > 0 {
		req.SortBy(q.Sort)
	}
	return req, text, nil
}

// highlight returns the stored text and the highlighted fragments of the
// records ids for the text query. Asking bleve to highlight the search
// itself makes every match decode its term positions; a second search over
// the page's ids decodes only theirs, which took a third off the time of
// queries with 10-30k matches.
func highlight(ctx context.Context, idx bleve.Index, text query.Query, ids []string, style string) (map[string]*search.DocumentMatch, error) {
	if style == "" {
		style = HighlightBrackets
	}
	if err := defineHighlighters(); err != nil {
		return nil, err
	}
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(text, bleve.NewDocIDQuery(ids)), len(ids), 0, false)
	req.Fields = []string{FieldText}
	req.Highlight = bleve.NewHighlightWithStyle(style)
	req.Highlight.AddField(FieldText)
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("highlight: %w", err)
	}
	byID := make(map[string]*search.DocumentMatch, len(res.Hits))
	for _, h := range res.Hits {
		byID[h.ID] = h
	}
	return byID, nil
}

// facetSpecs lists the facets of q: DefaultFacets then q.Facets, with the
// kinds of their fields.
func (q Query) facetSpecs(kinds map[string]string) ([]facetSpec, error) {
	size := q.FacetSize
	if size <= 0 {
		size = 10
	}
	var specs []facetSpec
	for _, f := range facetFields(q.Facets) {
		kind := fieldKind(f, kinds)
		if kind == kindText || kind == kindDatetime {
			return nil, fmt.Errorf("facet %s: a %s field has no values to count (filter %s with from and to)", f, kind, f)
		}
		specs = append(specs, facetSpec{field: f, kind: kind, size: size})
	}
	return specs, nil
}

// prepared returns a parsed query string with QueryAnalyzerName on its text
// matches, a one-character Han match widened to the words it starts (退 finds
// 退款: only adjectives are indexed as sub-words, see
// segment.Segmenter.SearchTokens) and its numeric and datetime ranges as
// pointRanges.
func prepared(q query.Query) query.Query {
	switch q := q.(type) {
	case *query.BooleanQuery:
		for _, sub := range []*query.Query{&q.Must, &q.Should, &q.MustNot, &q.Filter} {
			if *sub != nil {
				*sub = prepared(*sub)
			}
		}
	case *query.ConjunctionQuery:
		for i, sub := range q.Conjuncts {
			q.Conjuncts[i] = prepared(sub)
		}
	case *query.DisjunctionQuery:
		for i, sub := range q.Disjuncts {
			q.Disjuncts[i] = prepared(sub)
		}
	case *query.MatchQuery:
		if q.FieldVal == "" || q.FieldVal == FieldText {
			q.Analyzer = QueryAnalyzerName
			if c, ok := singleHan(q.Match); ok {
				words := query.NewPrefixQuery(c)
				words.SetField(FieldText)
				return query.NewDisjunctionQuery([]query.Query{q, words})
			}
		}
	case *query.MatchPhraseQuery:
		if q.FieldVal == "" || q.FieldVal == FieldText {
			q.Analyzer = QueryAnalyzerName
		}
	case *query.NumericRangeQuery, *query.DateRangeQuery, *query.DateRangeStringQuery:
		return pointRange{q.(query.FieldableQuery)}
	}
	return q
}

// singleHan returns the normalized term of a query that is one Han
// character.
func singleHan(text string) (string, bool) {
	seg, err := searchSegmenter()
	if err != nil {
		return "", false
	}
	toks := seg.QueryTokens(text)
	if len(toks) != 1 || !toks[0].Han || utf8.RuneCountInString(toks[0].Text) != 1 {
		return "", false
	}
	return toks[0].Text, true
}

// facetFields is DefaultFacets then extra, without repeats.
func facetFields(extra []string) []string {
	out := slices.Clone(DefaultFacets)
	for _, f := range extra {
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func term(field, value string) query.Query {
	t := bleve.NewTermQuery(value)
	t.SetField(field)
	return t
}

func riskQuery(risk string) query.Query {
	i := slices.Index(riskLevels, risk)
	if i < 0 {
		if risk == lexicons.LevelNone {
			return term(FieldRiskLevel, risk)
		}
		return term(FieldRiskCategory, risk)
	}
	var alts []query.Query
	for _, l := range riskLevels[i:] {
		alts = append(alts, term(FieldRiskLevel, l))
	}
	return bleve.NewDisjunctionQuery(alts...)
}

var highlighters = sync.OnceValue(func() error {
	if _, err := bleve.Config.Cache.DefineFragmentFormatter(HighlightBrackets,
		map[string]any{"type": plain.Name, "before": "[", "after": "]"}); err != nil {
		return err
	}
	_, err := bleve.Config.Cache.DefineHighlighter(HighlightBrackets,
		map[string]any{"type": simplehl.Name, "fragmenter": simplefrag.Name, "formatter": HighlightBrackets})
	return err
})

// defineHighlighters adds the bracket style to bleve's global cache once.
func defineHighlighters() error {
	if err := highlighters(); err != nil {
		return fmt.Errorf("highlighter %s: %w", HighlightBrackets, err)
	}
	return nil
}

// Search runs q against idx.
func Search(ctx context.Context, idx bleve.Index, q Query) (*Result, error) {
	start := time.Now()
	req, text, err := q.request()
	if err != nil {
		return nil, err
	}
	kinds, err := readKinds(idx)
	if err != nil {
		return nil, err
	}
	specs, err := q.facetSpecs(kinds)
	if err != nil {
		return nil, err
	}
	var facets []Facet
	var total uint64
	var rq *recordingQuery
	if text == nil && len(q.Sort) == 0 {
		// Count the matches on their bitmaps, then let bleve stop at the
		// first page.
		var n int
		if n, facets, err = countUnscored(ctx, idx, req.Query, specs); err != nil {
			return nil, err
		}
		total = uint64(n)
	} else {
		rq = &recordingQuery{Query: req.Query, specs: specs}
		req.Query = rq
	}
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if rq != nil {
		if rq.err != nil {
			return nil, rq.err
		}
		facets, total = rq.facets, res.Total
	}
	shown := map[string]*search.DocumentMatch{}
	if text != nil && len(res.Hits) > 0 {
		ids := make([]string, len(res.Hits))
		for i, h := range res.Hits {
			ids[i] = h.ID
		}
		if shown, err = highlight(ctx, idx, text, ids, q.Highlight); err != nil {
			return nil, err
		}
	}
	took := time.Since(start)
	out := &Result{Total: total, Took: took, TookMS: float64(took.Microseconds()) / 1000,
		Page: req.From/req.Size + 1, Size: req.Size, Hits: make([]Hit, 0, len(res.Hits)), Facets: facets}
	for _, h := range res.Hits {
		hit := Hit{ID: h.ID, Score: h.Score, Fragments: []string{}}
		hit.Text, _ = h.Fields[FieldText].(string)
		if sh := shown[h.ID]; sh != nil {
			if f := sh.Fragments[FieldText]; f != nil {
				hit.Fragments = f
			}
			hit.Text, _ = sh.Fields[FieldText].(string)
		}
		out.Hits = append(out.Hits, hit)
	}
	return out, nil
}
