package models

import "testing"

// BenchmarkLoadEmbedded decodes every embedded model, the start-up cost the
// models add to a vocal process.
func BenchmarkLoadEmbedded(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(nil); err != nil {
			b.Fatal(err)
		}
	}
}
