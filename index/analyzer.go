package index

import (
	"fmt"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/segment"
)

// Analysis names registered with bleve. An index stores them in its mapping,
// so every process that opens one must import this package.
const (
	// TokenizerName is the gse-backed tokenizer: gse search-mode words and
	// sub-words for Han text, letter and digit words otherwise
	// (segment.Segmenter.SearchTokens).
	TokenizerName = "vocal_zh_en"
	// QueryTokenizerName cuts queries like TokenizerName, without the
	// sub-words (segment.Segmenter.QueryTokens).
	QueryTokenizerName = "vocal_zh_en_query"
	// AnalyzerName is the text analyzer: the tokenizer, then English
	// possessive stripping, stop words and Porter stemming (Han, number and
	// emoji terms are kept as they are).
	AnalyzerName = "vocal_text"
	// QueryAnalyzerName analyses the text terms of queries: AnalyzerName
	// with QueryTokenizerName, so that a query word matches the same word
	// or sub-word in the text and is not split into its own sub-words.
	QueryAnalyzerName = "vocal_text_query"
	// TimeParserName parses the time forms of pipeline.ParseTime (RFC 3339,
	// YYYY-MM-DD[ HH:MM[:SS]], YYYY/MM/DD) in datetime fields and range
	// queries. It rejects other strings without trying layouts, which keeps
	// the dynamic mapping of keyword strings cheap.
	TimeParserName = "vocal_time"
)

// bleve's registry is global and filled from init functions; an index cannot
// be opened without its tokenizer registered.
func init() {
	if err := registry.RegisterTokenizer(TokenizerName, newTokenizer); err != nil {
		panic(err)
	}
	if err := registry.RegisterTokenizer(QueryTokenizerName, newQueryTokenizer); err != nil {
		panic(err)
	}
	if err := registry.RegisterDateTimeParser(TimeParserName, newTimeParser); err != nil {
		panic(err)
	}
}

func newTimeParser(map[string]any, *registry.Cache) (analysis.DateTimeParser, error) {
	return timeParser{}, nil
}

type timeParser struct{}

func (timeParser) ParseDateTime(s string) (time.Time, string, error) {
	if len(s) < 8 || s[0] < '0' || s[0] > '9' {
		return time.Time{}, "", analysis.ErrInvalidDateTime
	}
	t, ok := pipeline.ParseTime(s)
	if !ok {
		return time.Time{}, "", analysis.ErrInvalidDateTime
	}
	return t, time.RFC3339, nil
}

// searchSegmenter is the default segmenter (embedded lexicons and user
// dictionary), shared with a tagger of the same configuration. It does not
// follow --lexicons, so that indexing and querying always cut text the same
// way.
var searchSegmenter = sync.OnceValues(func() (*segment.Segmenter, error) {
	set, err := lexicons.Default()
	if err != nil {
		return nil, err
	}
	return segment.Shared(segment.ConfigFor(set))
})

func newTokenizer(map[string]any, *registry.Cache) (analysis.Tokenizer, error) {
	seg, err := searchSegmenter()
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", TokenizerName, err)
	}
	return tokenizer{seg.SearchTokens}, nil
}

func newQueryTokenizer(map[string]any, *registry.Cache) (analysis.Tokenizer, error) {
	seg, err := searchSegmenter()
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", QueryTokenizerName, err)
	}
	return tokenizer{seg.QueryTokens}, nil
}

// tokenizer adapts segment.SearchTokens or QueryTokens to bleve. Terms other
// than alphabetic words are marked as keywords so that the stemmer skips them.
type tokenizer struct {
	cut func(string) []segment.SearchToken
}

func (t tokenizer) Tokenize(input []byte) analysis.TokenStream {
	toks := t.cut(string(input))
	n := 0
	for _, tk := range toks {
		n += len(tk.Text)
	}
	terms := make([]byte, 0, n) // one buffer for every term
	backing := make([]analysis.Token, len(toks))
	out := make(analysis.TokenStream, len(toks))
	for i, tk := range toks {
		typ := analysis.AlphaNumeric
		switch {
		case tk.Han:
			typ = analysis.Ideographic
		case tk.Kind == segment.Number:
			typ = analysis.Numeric
		case tk.Kind == segment.Emoji:
			typ = analysis.Single
		}
		start := len(terms)
		terms = append(terms, tk.Text...)
		backing[i] = analysis.Token{Term: terms[start:len(terms):len(terms)], Start: tk.Start, End: tk.End,
			Position: tk.Position, Type: typ, KeyWord: typ != analysis.AlphaNumeric}
		out[i] = &backing[i]
	}
	return out
}
