package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestGenerateDeterministic(t *testing.T) {
	var a, b, c bytes.Buffer
	if _, _, err := generate(&a, 200<<10, 7); err != nil {
		t.Fatal(err)
	}
	if _, _, err := generate(&b, 200<<10, 7); err != nil {
		t.Fatal(err)
	}
	if _, _, err := generate(&c, 200<<10, 8); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("same seed and size gave different output")
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("different seeds gave the same output")
	}
}

func TestGenerateRecords(t *testing.T) {
	const size = 1 << 20
	var buf bytes.Buffer
	n, written, err := generate(&buf, size, 1)
	if err != nil {
		t.Fatal(err)
	}
	if written < size || written != int64(buf.Len()) {
		t.Fatalf("wrote %d bytes (buffer %d), want at least %d", written, buf.Len(), size)
	}
	base := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	texts := map[string]bool{}
	ids := map[string]bool{}
	langs := map[string]int{}
	lines := 0
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		lines++
		var r record
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("line %d: %v", lines, err)
		}
		if r.ID == "" || ids[r.ID] {
			t.Fatalf("line %d: id %q empty or repeated", lines, r.ID)
		}
		ids[r.ID] = true
		if strings.TrimSpace(r.Text) == "" || !utf8.ValidString(r.Text) || strings.Contains(r.Text, "{") {
			t.Fatalf("line %d: bad text %q", lines, r.Text)
		}
		texts[r.Text] = true
		at, err := time.Parse(time.RFC3339, r.CreatedAt)
		if err != nil || at.Before(base) || !at.Before(base.Add(90*24*time.Hour)) {
			t.Fatalf("line %d: created_at %q outside the 90 days from %s (%v)", lines, r.CreatedAt, base, err)
		}
		if r.CSAT < 1 || r.CSAT > 5 || r.NPS < 0 || r.NPS > 10 || r.Channel == "" || r.Region == "" || r.Product == "" {
			t.Fatalf("line %d: bad fields %+v", lines, r)
		}
		han, latin := false, false
		for _, c := range r.Text {
			han = han || (c >= 0x4E00 && c <= 0x9FFF)
			latin = latin || (c >= 'a' && c <= 'z')
		}
		switch {
		case han && latin:
			langs["mixed"]++
		case han:
			langs["zh"]++
		default:
			langs["en"]++
		}
	}
	if lines != n {
		t.Fatalf("%d lines, generate reported %d records", lines, n)
	}
	if float64(len(texts)) < 0.5*float64(n) {
		t.Errorf("only %d distinct texts in %d records", len(texts), n)
	}
	for _, l := range []string{"zh", "en", "mixed"} {
		if langs[l] < n/20 {
			t.Errorf("%s: %d of %d records", l, langs[l], n)
		}
	}
	t.Logf("%d records, %d distinct texts, %v", n, len(texts), langs)
}
