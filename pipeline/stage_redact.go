package pipeline

import "context"

// Redacting returns a stage that replaces a record's text by fn(text) before
// inner tags it, so that every output (records, alerts, index) holds the
// redacted text and every offset refers to it; the raw line of a rejected
// record is redacted the same way. The id, generated from the original text
// when missing, and passthrough fields are unchanged. fn must be pure and
// safe for concurrent use (redact.String).
func Redacting(inner Stage, fn func(string) string) Stage {
	return redacting{inner, fn}
}

type redacting struct {
	inner Stage
	fn    func(string) string
}

func (s redacting) Process(r *Record) { s.ProcessContext(context.Background(), r) }

func (s redacting) ProcessContext(ctx context.Context, r *Record) {
	if r.Err != nil {
		r.Raw = s.fn(r.Raw)
	} else {
		r.Text = s.fn(r.Text)
	}
	if cs, ok := s.inner.(ContextStage); ok {
		cs.ProcessContext(ctx, r)
	} else {
		s.inner.Process(r)
	}
}
