package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"time"
)

// Field is a passthrough field: its name and raw JSON value, in input order.
type Field struct {
	Name  string
	Value json.RawMessage
}

// Record is one feedback record flowing through the pipeline. Sources fill
// Source, Line, ID, Text, Fields and Raw; the tag stage fills Out. A record
// that cannot be processed carries Err and goes to the rejects.
//
// Ack is set by sources that redeliver what is not acknowledged (NATS
// JetStream) and nil for files and stdin. The runner calls it exactly once,
// from any goroutine: with nil once every output of the record is durable
// (rejects included: they are durable in the rejects), or with the reason the
// record was not made durable, so that the source redelivers it.
type Record struct {
	Seq    int64
	Source string
	Line   int
	ID     string
	Text   string
	Fields []Field
	Raw    string
	Err    error
	Out    *Analysis
	Ack    func(err error)

	readAt time.Time // when the runner read it, for OnWritten
}

// Field returns the raw value of the passthrough field name, or nil.
func (r *Record) Field(name string) json.RawMessage {
	for _, f := range r.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return nil
}

// RejectError explains why a record was rejected: file, line and field.
type RejectError struct {
	Source string
	Line   int
	Field  string
	Reason string
}

func (e *RejectError) Error() string {
	s := fmt.Sprintf("%s:%d", e.Source, e.Line)
	if e.Field != "" {
		s += ": field " + strconv.Quote(e.Field)
	}
	return s + ": " + e.Reason
}

func reject(src string, line int, field, format string, args ...any) error {
	return &RejectError{Source: src, Line: line, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Reserved output keys that input fields must not shadow.
var Reserved = map[string]bool{"lang": true, "sentiment": true, "topics": true, "risk": true, "tokens": true}

// GenerateID is the stable id of a record without one: a hash of the source
// file's base name, the line and the text.
func GenerateID(source string, line int, text string) string {
	h := sha256.Sum256([]byte(filepath.Base(source) + "\x00" + strconv.Itoa(line) + "\x00" + text))
	return "gen-" + hex.EncodeToString(h[:8])
}
