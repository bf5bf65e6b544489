package segment

import "testing"

func TestShared(t *testing.T) {
	a, err := Shared(Config{Connectives: []string{"但是"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Shared(Config{Connectives: []string{"但是"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Shared(Config{LeadOnly: []string{"但是"}})
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("same configuration: two segmenters")
	}
	if a == c {
		t.Error("different configurations: one segmenter")
	}
}
