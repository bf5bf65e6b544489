package index

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/vocal-dev/vocal/pipeline"
)

// Index field names. Passthrough fields keep their input names.
const (
	FieldText           = "text"            // analysed with AnalyzerName; stored for highlighting
	FieldLang           = "lang"            // keyword: zh, en, mixed, und
	FieldSentiment      = "sentiment"       // keyword: the document label
	FieldSentimentScore = "sentiment_score" // number, rounded to 0.01
	FieldTopics         = "topics"          // keyword, one value per topic
	FieldAspects        = "aspects"         // keyword "topic:sentiment", one per distinct pair
	FieldRiskLevel      = "risk_level"      // keyword: none, medium, high, critical
	FieldRiskCategory   = "risk_category"   // keyword, one value per hit category
	FieldCreatedAt      = "created_at"      // datetime, to the hour
)

// TimePrecision is the precision of indexed datetimes. Seconds would make
// nearly every value a distinct exact term (see points.go): truncating to
// the hour took 21% off the index size and keeps day filters exact in any
// whole-hour time zone.
const TimePrecision = time.Hour

// numericFields are passthrough fields mapped as numbers whatever their
// first value looks like.
var numericFields = []string{"csat", "nps", "ces"}

// keywordFields are the keyword fields derived from the analysis.
var keywordFields = []string{FieldLang, FieldSentiment, FieldTopics, FieldAspects, FieldRiskLevel, FieldRiskCategory}

// derived holds the names computed from the analysis; a passthrough field
// with one of these names is not indexed (it would mix two meanings).
var derived = map[string]bool{FieldText: true, FieldLang: true, FieldSentiment: true, FieldSentimentScore: true,
	FieldTopics: true, FieldAspects: true, FieldRiskLevel: true, FieldRiskCategory: true}

// NewMapping returns the index mapping. Fixed fields are mapped explicitly;
// every other passthrough field is mapped dynamically from its value: strings
// as keywords, numbers as numbers, times (RFC 3339 and the forms of
// pipeline.ParseTime) as datetimes, booleans as booleans, objects as nested
// fields; so new passthrough fields are indexed, faceted and sorted on
// without code. Datetimes are truncated to TimePrecision and scores rounded
// to 0.01, so that few distinct terms are indexed. Unqualified query terms search the text field; there is no
// catch-all _all field. Only the text is stored (for highlighting); every
// other field has doc values for facets and sorting.
func NewMapping() *mapping.IndexMappingImpl {
	im := bleve.NewIndexMapping()
	for name, tok := range map[string]string{AnalyzerName: TokenizerName, QueryAnalyzerName: QueryTokenizerName} {
		if err := im.AddCustomAnalyzer(name, map[string]any{
			"type":          custom.Name,
			"tokenizer":     tok,
			"token_filters": []any{en.PossessiveName, en.StopName, porter.Name},
		}); err != nil {
			panic(err) // static definition: fails only if the package is broken
		}
	}
	im.DefaultAnalyzer = keyword.Name
	im.DefaultDateTimeParser = TimeParserName
	im.DefaultField = FieldText
	im.StoreDynamic = false
	im.IndexDynamic = true
	im.DocValuesDynamic = true

	dm := bleve.NewDocumentMapping()
	dm.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())

	text := bleve.NewTextFieldMapping()
	text.Analyzer = AnalyzerName
	text.Store = true
	text.IncludeTermVectors = true
	text.IncludeInAll = false
	text.DocValues = false
	dm.AddFieldMappingsAt(FieldText, text)

	for _, name := range keywordFields {
		f := bleve.NewKeywordFieldMapping()
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.SkipFreqNorm = true
		dm.AddFieldMappingsAt(name, f)
	}
	for _, name := range append([]string{FieldSentimentScore}, numericFields...) {
		f := bleve.NewNumericFieldMapping()
		f.Store = false
		f.IncludeInAll = false
		f.SkipFreqNorm = true
		dm.AddFieldMappingsAt(name, f)
	}
	created := bleve.NewDateTimeFieldMapping()
	created.Store = false
	created.IncludeInAll = false
	created.SkipFreqNorm = true
	created.DateFormat = TimeParserName
	dm.AddFieldMappingsAt(FieldCreatedAt, created)

	im.DefaultMapping = dm
	return im
}

// Document turns an output record into the value indexed under r.ID (see
// NewMapping for the fields).
func Document(r *pipeline.Record) map[string]any {
	o := r.Out
	doc := make(map[string]any, 8+len(r.Fields))
	doc[FieldText] = r.Text
	doc[FieldLang] = o.Lang
	doc[FieldSentiment] = o.Sentiment.Label
	doc[FieldSentimentScore] = math.Round(o.Sentiment.Score*100) / 100
	doc[FieldRiskLevel] = o.Risk.Level
	if len(o.Topics) > 0 {
		topics := make([]string, 0, len(o.Topics))
		aspects := make([]string, 0, len(o.Topics))
		for _, m := range o.Topics {
			topics = appendUnique(topics, m.Topic)
			aspects = appendUnique(aspects, m.Topic+":"+m.Sentiment)
		}
		doc[FieldTopics] = topics
		doc[FieldAspects] = aspects
	}
	if len(o.Risk.Hits) > 0 {
		var cats []string
		for _, h := range o.Risk.Hits {
			cats = appendUnique(cats, h.Category)
		}
		doc[FieldRiskCategory] = cats
	}
	for _, f := range r.Fields {
		if derived[f.Name] || f.Name == "" || f.Name[0] == '_' {
			continue
		}
		if v, ok := fieldValue(f.Value); ok {
			doc[f.Name] = v
		}
	}
	return doc
}

func appendUnique(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

// fieldValue decodes a raw passthrough value for the dynamic mapping: time
// strings become time.Time, numbers float64; false for null and bad JSON.
func fieldValue(raw json.RawMessage) (any, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, false
		}
		if t, ok := pipeline.ParseTime(s); ok {
			return t.UTC().Truncate(TimePrecision), true
		}
		return s, true
	case c == '-' || c >= '0' && c <= '9':
		x, err := strconv.ParseFloat(string(raw), 64)
		return x, err == nil
	case c == 't' || c == 'f':
		return c == 't', string(raw) == "true" || string(raw) == "false"
	case c == 'n':
		return nil, false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil, false
	}
	return v, true
}
