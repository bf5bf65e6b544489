package pipeline

import (
	"encoding/json"
	"testing"
	"time"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		raw  string
		want passKind
	}{
		{"null", kindNull},
		{"", kindNull},
		{"true", kindBool},
		{"false", kindBool},
		{"0", kindInt},
		{"-42", kindInt},
		{"9223372036854775807", kindInt},
		{"9223372036854775808", kindFloat}, // beyond int64
		{"4.50", kindFloat},
		{"1e5", kindFloat},
		{`"app"`, kindString},
		{`""`, kindString},
		{`"2026-03-01"`, kindTime},
		{`"2026-03-01T09:30:00+08:00"`, kindTime},
		{`"2026/03/01 13:00:00"`, kindTime},
		{`"2026-13-01"`, kindString},
		{`[1,2]`, kindString},
		{`{"k":1}`, kindString},
	}
	for _, tt := range tests {
		if got := kindOf(json.RawMessage(tt.raw)); got != tt.want {
			t.Errorf("kindOf(%s) = %d, want %d", tt.raw, got, tt.want)
		}
	}
}

func TestWiden(t *testing.T) {
	tests := []struct{ a, b, want passKind }{
		{kindNull, kindInt, kindInt},
		{kindInt, kindNull, kindInt},
		{kindInt, kindInt, kindInt},
		{kindInt, kindFloat, kindFloat},
		{kindFloat, kindInt, kindFloat},
		{kindInt, kindString, kindString},
		{kindTime, kindString, kindString},
		{kindBool, kindInt, kindString},
		{kindTime, kindTime, kindTime},
	}
	for _, tt := range tests {
		if got := widen(tt.a, tt.b); got != tt.want {
			t.Errorf("widen(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339 as written, "" = not a time
	}{
		{"2026-03-01T09:30:00+08:00", "2026-03-01T09:30:00+08:00"},
		{"2026-03-01T09:30:00.123Z", "2026-03-01T09:30:00.123Z"},
		{"2026-03-01T09:30:00", "2026-03-01T09:30:00Z"},
		{"2026-03-01 09:30:00", "2026-03-01T09:30:00Z"},
		{"2026-03-01 09:30", "2026-03-01T09:30:00Z"},
		{"2026/03/01 09:30:00", "2026-03-01T09:30:00Z"},
		{" 2026-03-01 ", "2026-03-01T00:00:00Z"},
		{"2026/03/01", "2026-03-01T00:00:00Z"},
		{"20260301", ""},
		{"yesterday", ""},
		{"2026-02-30", ""},
		{"", ""},
	}
	for _, tt := range tests {
		tm, ok := ParseTime(tt.in)
		got := ""
		if ok {
			got = tm.Format(time.RFC3339Nano)
		}
		if got != tt.want {
			t.Errorf("ParseTime(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
