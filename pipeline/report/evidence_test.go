package report

import (
	"context"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestHighlight(t *testing.T) {
	long := strings.Repeat("很", 100) + "客服态度太差" + strings.Repeat("好", 100)
	for _, tt := range []struct {
		name  string
		text  string
		spans [][2]int
		want  []Segment
	}{
		{"zh", "物流很快，但是客服态度太差了", [][2]int{{9, 13}},
			[]Segment{{Text: "物流很快，但是客服"}, {Text: "态度太差", Mark: true}, {Text: "了"}}},
		{"two spans", "it caught fire and smoked", [][2]int{{3, 14}, {19, 25}},
			[]Segment{{Text: "it "}, {Text: "caught fire", Mark: true}, {Text: " and "}, {Text: "smoked", Mark: true}}},
		{"span past the end is cut", "abc", [][2]int{{1, 9}}, []Segment{{Text: "a"}, {Text: "bc", Mark: true}}},
		{"no span", "abc", nil, []Segment{{Text: "abc"}}},
		// 160 runes from a third of them before the span: 53 + 6 + 100, the end.
		{"long text is cut before the span", long, [][2]int{{100, 106}}, []Segment{
			{Text: "…"}, {Text: strings.Repeat("很", 53)}, {Text: "客服态度太差", Mark: true}, {Text: strings.Repeat("好", 100)}}},
		{"long text is cut on both sides", long + long, [][2]int{{100, 106}}, []Segment{
			{Text: "…"}, {Text: strings.Repeat("很", 53)}, {Text: "客服态度太差", Mark: true}, {Text: strings.Repeat("好", 100) + "很"}, {Text: "…"}}},
	} {
		got := highlight(tt.text, tt.spans)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestWriteWithoutTables(t *testing.T) {
	err := Write(context.Background(), io.Discard, t.TempDir(), Options{})
	if err == nil || !strings.Contains(err.Error(), "vocal run") {
		t.Errorf("error %v, want a hint to run vocal run", err)
	}
}
