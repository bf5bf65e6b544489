package segment_test

import (
	"testing"

	"github.com/vocal-dev/vocal/segment"
	"github.com/vocal-dev/vocal/segment/segmenttest"
)

// testSegmenter is the default segmenter shared by every test of this
// binary (segmenttest.Default: built once, from the embedded lexicons with
// segment.ConfigFor, as pipeline.NewAnalyzer does).
func testSegmenter(t testing.TB) *segment.Segmenter {
	t.Helper()
	seg, _ := segmenttest.Default(t)
	return seg
}

// tok is what a test expects of one token: normalized text (skipped when
// empty), kind, original rune offsets, and the original text of that span.
type tok struct {
	text       string
	kind       segment.Kind
	start, end int
	orig       string
}

// clause is what a test expects of one clause: its evidence (original text
// trimmed of spaces and punctuation) with original offsets, lead and question flag.
type clause struct {
	evidence   string
	start, end int
	lead       string
	question   bool
}

func clausesOf(d *segment.Doc) []clause {
	var out []clause
	for _, c := range d.Clauses {
		ev, s, e := d.Evidence(c.Start, c.End)
		out = append(out, clause{evidence: ev, start: s, end: e, lead: c.Lead, question: c.Question})
	}
	return out
}

func origSpan(d *segment.Doc, start, end int) string {
	rs := []rune(d.Original)
	if start < 0 || end > len(rs) || start > end {
		return "<out of range>"
	}
	return string(rs[start:end])
}

// checkToken compares token got against want.
func checkToken(t *testing.T, d *segment.Doc, got segment.Token, want tok) {
	t.Helper()
	if got.Kind != want.kind || got.Start != want.start || got.End != want.end ||
		(want.text != "" && got.Text != want.text) || origSpan(d, got.Start, got.End) != want.orig {
		t.Errorf("token %q/%s [%d,%d) original %q; want %q/%s [%d,%d) original %q",
			got.Text, got.Kind, got.Start, got.End, origSpan(d, got.Start, got.End),
			want.text, want.kind, want.start, want.end, want.orig)
	}
}
