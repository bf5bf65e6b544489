package segment_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vocal-dev/vocal/segment"
	"github.com/vocal-dev/vocal/segment/segmenttest"
)

// searchTerms renders tokens as term@start-end/position for comparison.
func searchTerms(toks []segment.SearchToken) string {
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = fmt.Sprintf("%s@%d-%d/%d", t.Text, t.Start, t.End, t.Position)
	}
	return strings.Join(parts, " ")
}

func TestSearchTokens(t *testing.T) {
	seg, _ := segmenttest.Default(t)
	tests := []struct {
		name, text string
		has        []string // term@start-end/position entries that must be present
		hasNot     []string // terms that must be absent
	}{
		// 慢 (bytes 6-9) is a sub-word of 太慢, at the position of its word.
		{"single-character sub-word", "物流太慢了", []string{"物流@0-6/1", "太慢@6-12/2", "慢@9-12/2"}, nil},
		{"two-character sub-word", "快递员态度差", []string{"快递@0-6/1"}, nil},
		// Offsets point into the original text: full width, Traditional.
		{"full width", "ＡＰＰ闪退", []string{"app@0-9/1"}, nil},
		{"traditional", "價格太貴", []string{"价格@0-6/1"}, nil},
		{"english apostrophe", "I don't like it", []string{"i@0-1/1", "don't@2-7/2", "like@8-12/3"}, nil},
		{"markup dropped", "<b>refund</b> now", []string{"refund@3-9/1", "now@14-17/2"}, []string{"b"}},
		{"punctuation dropped", "贵！！！", []string{"贵@0-3/1"}, []string{"！"}},
		{"number", "等了12天", []string{"12@6-8/3", "天@8-11/4"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := seg.SearchTokens(tt.text)
			all := " " + searchTerms(got) + " "
			for _, want := range tt.has {
				if !strings.Contains(all, " "+want+" ") {
					t.Errorf("missing %s in %s", want, all)
				}
			}
			for _, term := range tt.hasNot {
				for _, tk := range got {
					if tk.Text == term {
						t.Errorf("unexpected term %q in %s", term, all)
					}
				}
			}
		})
	}
}

func TestQueryTokensHaveNoSubWords(t *testing.T) {
	seg, _ := segmenttest.Default(t)
	got := searchTerms(seg.QueryTokens("物流太慢了"))
	if want := "物流@0-6/1 太慢@6-12/2 了@12-15/3"; got != want {
		t.Errorf("QueryTokens = %s, want %s", got, want)
	}
}

// FuzzSearchTokens checks that any input gives terms with offsets in range,
// on rune boundaries, and positions that never decrease.
func FuzzSearchTokens(f *testing.F) {
	for _, s := range benchFuzzSeeds {
		f.Add(s)
	}
	seg, _ := segmenttest.Default(f)
	f.Fuzz(func(t *testing.T, text string) {
		last := 0
		for _, tk := range seg.SearchTokens(text) {
			if tk.Text == "" || tk.Start < 0 || tk.End > len(text) || tk.Start >= tk.End {
				t.Fatalf("term %+v: bad span for %d bytes", tk, len(text))
			}
			if utf8.ValidString(text) && (!utf8.RuneStart(text[tk.Start]) || tk.End < len(text) && !utf8.RuneStart(text[tk.End])) {
				t.Fatalf("term %+v: span not on rune boundaries of %q", tk, text)
			}
			if tk.Position < last || tk.Position < 1 {
				t.Fatalf("term %+v: position after %d", tk, last)
			}
			last = tk.Position
		}
	})
}
