package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

type jsonlSource struct {
	name   string
	br     *bufio.Reader
	closer io.Closer
	cfg    InputConfig
	line   int   // lines consumed
	offset int64 // bytes consumed
	last   filePos
}

func newJSONLSource(name string, br *bufio.Reader, c io.Closer, cfg InputConfig) *jsonlSource {
	return &jsonlSource{name: name, br: br, closer: c, cfg: cfg}
}

func (s *jsonlSource) Close() error { return s.closer.Close() }

// position implements positioner.
func (s *jsonlSource) position() (end, last filePos) {
	return filePos{offset: s.offset, line: s.line}, s.last
}

func (s *jsonlSource) Next(ctx context.Context) (*Record, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start := filePos{offset: s.offset, line: s.line}
		line, tooLong, n, err := readLine(s.br, s.cfg.MaxLineBytes)
		if err != nil {
			if err == io.EOF {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("%s:%d: read: %w", s.name, s.line+1, err)
		}
		s.last = start
		s.offset += int64(n)
		s.line++
		if !tooLong && len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		rec := &Record{Source: s.name, Line: s.line, Raw: clip(line)}
		if tooLong {
			rec.Err = reject(s.name, s.line, "", "line longer than %d bytes", s.cfg.MaxLineBytes)
			return rec, nil
		}
		rec.Err = s.parse(rec, line)
		return rec, nil
	}
}

// parse decodes one JSON object, keeping field order and raw values.
func (s *jsonlSource) parse(rec *Record, line []byte) error {
	if !utf8.Valid(line) {
		return reject(s.name, s.line, "", "invalid UTF-8 (is the file GBK? try --encoding gb18030)")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return reject(s.name, s.line, "", "not JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return reject(s.name, s.line, "", "not a JSON object")
	}
	var fields []Field
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return reject(s.name, s.line, "", "not JSON: %v", err)
		}
		key, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return reject(s.name, s.line, key, "not JSON: %v", err)
		}
		fields = append(fields, Field{Name: key, Value: raw})
	}
	if _, err := dec.Token(); err != nil {
		return reject(s.name, s.line, "", "not JSON: %v", err)
	}
	if len(bytes.TrimSpace(line[dec.InputOffset():])) > 0 {
		return reject(s.name, s.line, "", "trailing data after the JSON object")
	}
	return fill(rec, fields, s.cfg)
}

// fill takes id and text out of fields and checks the rest.
func fill(rec *Record, fields []Field, cfg InputConfig) error {
	hasText := false
	seen := map[string]bool{}
	for _, f := range fields {
		if seen[f.Name] {
			return reject(rec.Source, rec.Line, f.Name, "duplicate field")
		}
		seen[f.Name] = true
		switch {
		case f.Name == cfg.TextField:
			if err := json.Unmarshal(f.Value, &rec.Text); err != nil || isNull(f.Value) {
				return reject(rec.Source, rec.Line, f.Name, "text must be a string, got %s", clip(f.Value))
			}
			hasText = true
		case f.Name == cfg.IDField:
			rec.ID = idString(f.Value)
		case Reserved[f.Name] || f.Name == "id" || f.Name == "text":
			// With --id-field or --text-field, an input "id" or "text" would
			// be written twice in the output record.
			return reject(rec.Source, rec.Line, f.Name, "field name is reserved for output (rename it)")
		default:
			rec.Fields = append(rec.Fields, f)
		}
	}
	if !hasText {
		return reject(rec.Source, rec.Line, cfg.TextField, "missing text field")
	}
	if !utf8.ValidString(rec.Text) {
		rec.Text = strings.ToValidUTF8(rec.Text, "\uFFFD")
	}
	if rec.ID == "" {
		rec.ID = GenerateID(rec.Source, rec.Line, rec.Text)
	}
	return nil
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// idString accepts string and number ids; anything else means "generate".
func idString(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(v, &n) == nil {
		return n.String()
	}
	return ""
}

// clip bounds the raw text kept for rejects.
func clip(b []byte) string {
	const max = 4096
	if len(b) > max {
		b = b[:max]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
