package pipeline

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

type csvSource struct {
	name   string
	r      *csv.Reader
	closer io.Closer
	cfg    InputConfig
	header []string
	base   int64 // decoded offset where r started reading
	lbase  int   // lines before base: r numbers lines from there
	lines  int   // lines consumed up to the end of the last row read
	last   filePos
}

// newCSVSource reads the header row from br, then rows from the start or,
// with at set, from at.offset on.
func newCSVSource(name string, br *bufio.Reader, c io.Closer, cfg InputConfig, at resumeAt) (*csvSource, error) {
	r := newCSVReader(br)
	header, err := r.Read()
	if err == io.EOF {
		header = nil
	} else if err != nil {
		c.Close()
		return nil, fmt.Errorf("%s:1: CSV header: %w", name, err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	s := &csvSource{name: name, r: r, closer: c, cfg: cfg, header: header}
	if header != nil && !slices.Contains(header, cfg.TextField) {
		c.Close()
		return nil, fmt.Errorf("%s:1: CSV header has no text column %q (use --text-field)", name, cfg.TextField)
	}
	if header != nil {
		s.lines = rowEndLine(r, header)
	}
	// The last run stopped after the header (which may have lacked its
	// newline then) or after a row.
	if hdrEnd := r.InputOffset(); at.offset > hdrEnd {
		if err := at.skip(hdrEnd, at.offset); err != nil {
			c.Close()
			return nil, fmt.Errorf("%s: resume at byte %d: %w", name, at.offset, err)
		}
		s.r, s.base, s.lbase, s.lines = newCSVReader(br), at.offset, at.line, at.line
	}
	s.last = filePos{s.base + s.r.InputOffset(), s.lines}
	return s, nil
}

func newCSVReader(br *bufio.Reader) *csv.Reader {
	r := csv.NewReader(br)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	return r
}

// rowEndLine is the line (of r's input) on which the row just read ends.
func rowEndLine(r *csv.Reader, row []string) int {
	if len(row) == 0 {
		return 0
	}
	line, _ := r.FieldPos(len(row) - 1)
	return line + strings.Count(row[len(row)-1], "\n")
}

func (s *csvSource) Close() error { return s.closer.Close() }

// position implements positioner.
func (s *csvSource) position() (end, last filePos) {
	return filePos{offset: s.base + s.r.InputOffset(), line: s.lines}, s.last
}

func (s *csvSource) Next(ctx context.Context) (*Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.header == nil {
		return nil, io.EOF
	}
	start := filePos{offset: s.base + s.r.InputOffset(), line: s.lines}
	lineBase := s.lbase
	row, err := s.r.Read()
	if err == io.EOF {
		return nil, io.EOF
	}
	s.last = start
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe):
		s.lines = lineBase + pe.Line
		rec := &Record{Source: s.name, Line: lineBase + pe.StartLine, Raw: clip([]byte(strings.Join(row, ",")))}
		rec.Err = reject(s.name, rec.Line, "", "malformed CSV: %v", pe.Err)
		return rec, nil
	case err != nil:
		// FieldPos may have no field to report after a read error.
		return nil, fmt.Errorf("%s: read: %w", s.name, err)
	}
	s.lines = lineBase + rowEndLine(s.r, row)
	line, _ := s.r.FieldPos(0)
	line += lineBase
	rec := &Record{Source: s.name, Line: line, Raw: clip([]byte(strings.Join(row, ",")))}
	if n := len(row) - 1 + totalLen(row); n > s.cfg.MaxLineBytes {
		rec.Err = reject(s.name, line, "", "row longer than %d bytes", s.cfg.MaxLineBytes)
		return rec, nil
	}
	if len(row) != len(s.header) {
		rec.Err = reject(s.name, line, "", "row has %d columns, header has %d", len(row), len(s.header))
		return rec, nil
	}
	for i, v := range row {
		if !utf8.ValidString(v) {
			rec.Err = reject(s.name, line, s.header[i], "invalid UTF-8 (is the file GBK? try --encoding gb18030)")
			return rec, nil
		}
	}
	fields := make([]Field, len(row))
	for i, v := range row {
		if s.header[i] == s.cfg.TextField || s.header[i] == s.cfg.IDField {
			b, _ := json.Marshal(v)
			fields[i] = Field{Name: s.header[i], Value: b}
			continue
		}
		fields[i] = Field{Name: s.header[i], Value: csvValue(v)}
	}
	rec.Err = fill(rec, fields, s.cfg)
	return rec, nil
}

func totalLen(row []string) int {
	n := 0
	for _, v := range row {
		n += len(v)
	}
	return n
}

var csvNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,17})(\.[0-9]+)?$`)

// csvValue types a CSV cell: empty is null, plain decimal numbers (no leading
// zeros, so codes like 00123 stay text) are numbers, the rest are strings.
func csvValue(v string) json.RawMessage {
	switch {
	case v == "":
		return json.RawMessage("null")
	case csvNumber.MatchString(v):
		return json.RawMessage(v)
	}
	b, _ := json.Marshal(v)
	return b
}
