package segment_test

import (
	"strings"
	"testing"
	"time"
)

func TestScratchScaling(t *testing.T) {
	seg := benchMustSegmenter(t)
	for _, lang := range []string{"zh", "en"} {
		lines, _ := benchLines(t, lang)
		all := strings.Join(lines, "\n")
		for _, n := range []int{64 << 10, 256 << 10, 1 << 20} {
			s := strings.Repeat(all, n/len(all)+1)[:n]
			s = strings.ToValidUTF8(s, "")
			t0 := time.Now()
			d := seg.Segment(s)
			t.Logf("%-9s %7d bytes: %v (%d tokens, %d clauses)", lang, len(s), time.Since(t0), len(d.Tokens), len(d.Clauses))
		}
	}
}
