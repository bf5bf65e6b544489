package lexicons

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Taxonomy is the editable list of topics. Users add or edit topics in YAML
// without code; see data/taxonomy.yaml for the default.
type Taxonomy struct {
	Version int     `yaml:"version"`
	Topics  []Topic `yaml:"topics"`
}

// Topic is one taxonomy entry: literal cues (zh, en or mixed; an English cue
// ending in '*' matches as a prefix), RE2 patterns for implicit mentions (a
// cue or pattern starting "-:" or "+:" implies that polarity when its clause
// holds no sentiment word: "-:等了.{0,4}才到"),
// excluded look-alikes that must not count, and risk categories whose hits
// imply the topic (a charger that catches fire is a function defect).
type Topic struct {
	Key            string            `yaml:"key"`
	Label          map[string]string `yaml:"label"`
	Cues           []string          `yaml:"cues"`
	Patterns       []string          `yaml:"patterns"`
	Exclude        []string          `yaml:"exclude"`
	RiskCategories []string          `yaml:"risk_categories"`
}

// SplitPolarity strips the "-:" or "+:" mark of a cue or pattern and returns
// the polarity it implies: -1, +1, or 0 when unmarked.
func SplitPolarity(s string) (string, int) {
	switch {
	case strings.HasPrefix(s, "-:"):
		return s[2:], -1
	case strings.HasPrefix(s, "+:"):
		return s[2:], 1
	}
	return s, 0
}

// ParseTaxonomy parses and validates a taxonomy file: unique non-empty keys,
// at least one cue or pattern per topic, and patterns that compile.
func ParseTaxonomy(name string, raw []byte) (*Taxonomy, error) {
	var t Taxonomy
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(t.Topics) == 0 {
		return nil, fmt.Errorf("%s: no topics", name)
	}
	seen := map[string]bool{}
	for i, tp := range t.Topics {
		if tp.Key == "" {
			return nil, fmt.Errorf("%s: topic %d has no key", name, i+1)
		}
		if seen[tp.Key] {
			return nil, fmt.Errorf("%s: topic %q defined twice", name, tp.Key)
		}
		seen[tp.Key] = true
		for _, c := range tp.RiskCategories {
			if !validCategory(c) {
				return nil, fmt.Errorf("%s: topic %q: unknown risk category %q", name, tp.Key, c)
			}
		}
		if len(tp.Cues)+len(tp.Patterns) == 0 {
			return nil, fmt.Errorf("%s: topic %q has no cues or patterns", name, tp.Key)
		}
		for _, p := range tp.Patterns {
			p, _ = SplitPolarity(p)
			if _, err := regexp.Compile(p); err != nil {
				return nil, fmt.Errorf("%s: topic %q: pattern %q: %w", name, tp.Key, p, err)
			}
		}
	}
	return &t, nil
}
