package index

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/blevesearch/bleve/v2"
)

// Field kinds: how a field's indexed terms read.
const (
	kindText     = "text"
	kindKeyword  = "keyword"
	kindNumber   = "number"
	kindDatetime = "datetime"
	kindBoolean  = "boolean"
)

// schemaKey is the internal key under which Sink keeps the kinds of the
// passthrough fields it indexed (a JSON object of name to kind): bleve does
// not persist what its dynamic mapping made of a field.
const schemaKey = "vocal.fields"

// fixedKind is the kind of the fields NewMapping maps explicitly.
func fixedKind(name string) (string, bool) {
	switch {
	case name == FieldText:
		return kindText, true
	case name == FieldCreatedAt:
		return kindDatetime, true
	case name == FieldSentimentScore || slices.Contains(numericFields, name):
		return kindNumber, true
	case slices.Contains(keywordFields, name):
		return kindKeyword, true
	}
	return "", false
}

// valueKind is the kind the dynamic mapping gives a value of Document; ""
// for objects and arrays, whose leaves bleve maps under other names.
func valueKind(v any) string {
	switch v.(type) {
	case string:
		return kindKeyword
	case float64:
		return kindNumber
	case time.Time:
		return kindDatetime
	case bool:
		return kindBoolean
	}
	return ""
}

// readKinds returns the passthrough field kinds stored in idx (empty for an
// index written before they were kept).
func readKinds(idx bleve.Index) (map[string]string, error) {
	kinds := map[string]string{}
	raw, err := idx.GetInternal([]byte(schemaKey))
	if err != nil {
		return nil, fmt.Errorf("read field kinds: %w", err)
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &kinds); err != nil {
			return nil, fmt.Errorf("read field kinds: %w", err)
		}
	}
	return kinds, nil
}

// fieldKind is the kind of field name in an index with the passthrough
// kinds given; keyword when unknown.
func fieldKind(name string, kinds map[string]string) string {
	if k, ok := fixedKind(name); ok {
		return k
	}
	if k := kinds[name]; k != "" {
		return k
	}
	return kindKeyword
}
