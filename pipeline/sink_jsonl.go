package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
)

// MarshalRecord encodes the output record of DESIGN.md: id, text, lang,
// sentiment, topics, risk, then the passthrough fields unchanged.
func MarshalRecord(r *Record) ([]byte, error) {
	if r.Out == nil {
		return nil, errors.New("record has no analysis")
	}
	buf := make([]byte, 0, 512+len(r.Text)*2)
	buf = append(buf, `{"id":`...)
	buf = appendJSON(buf, r.ID)
	buf = append(buf, `,"text":`...)
	buf = appendJSON(buf, r.Text)
	buf = append(buf, `,"lang":`...)
	buf = appendJSON(buf, r.Out.Lang)
	buf = append(buf, `,"sentiment":`...)
	buf = appendJSON(buf, r.Out.Sentiment)
	buf = append(buf, `,"topics":`...)
	if r.Out.Topics == nil {
		buf = append(buf, "[]"...)
	} else {
		buf = appendJSON(buf, r.Out.Topics)
	}
	buf = append(buf, `,"risk":`...)
	buf = appendJSON(buf, r.Out.Risk)
	for _, f := range r.Fields {
		buf = append(buf, ',')
		buf = appendJSON(buf, f.Name)
		buf = append(buf, ':')
		buf = append(buf, f.Value...)
	}
	return append(buf, '}'), nil
}

func appendJSON(buf []byte, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return append(buf, "null"...)
	}
	return append(buf, b...)
}

// RejectLine is one line of a rejects file.
type RejectLine struct {
	Source string `json:"source"`
	Line   int    `json:"line"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
	Raw    string `json:"raw"`
}

// MarshalReject encodes a rejected record as one JSON line.
func MarshalReject(r *Record) []byte {
	rl := RejectLine{Source: r.Source, Line: r.Line, Reason: r.Err.Error(), Raw: r.Raw}
	var re *RejectError
	if errors.As(r.Err, &re) {
		rl.Field, rl.Reason = re.Field, re.Reason
	}
	b, _ := json.Marshal(rl)
	return b
}

// JSONLSink writes output records to out and rejects to rejects, one JSON
// object per line. With FlushEach set, every line is flushed at once (for
// records arriving one by one on stdin).
type JSONLSink struct {
	out, rejects *bufio.Writer
	FlushEach    bool
}

// NewJSONLSink writes to out and rejects (either may be the same writer).
func NewJSONLSink(out, rejects io.Writer) *JSONLSink {
	return &JSONLSink{out: bufio.NewWriterSize(out, 64<<10), rejects: bufio.NewWriter(rejects)}
}

// Write implements Sink.
func (s *JSONLSink) Write(_ context.Context, r *Record) error {
	w := s.out
	if r.Err != nil {
		w = s.rejects
		w.Write(MarshalReject(r))
	} else {
		b, err := MarshalRecord(r)
		if err != nil {
			return err
		}
		w.Write(b)
	}
	if err := w.WriteByte('\n'); err != nil || !s.FlushEach {
		return err
	}
	return w.Flush()
}

// Close flushes both writers.
func (s *JSONLSink) Close() error {
	return errors.Join(s.out.Flush(), s.rejects.Flush())
}
