package models

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
)

// Ext is the file extension of a model file.
const Ext = ".vml.gz"

//go:embed data
var embedded embed.FS

// Set is the models vocal uses: document sentiment per language ("zh",
// "en"). A language without a model is scored by the lexicons alone.
type Set struct {
	Sentiment map[string]*Linear
}

// Version names the models of a set, for manifests: "none" when empty.
func (s *Set) Version() string {
	if s == nil || len(s.Sentiment) == 0 {
		return "none"
	}
	var parts []string
	for _, lang := range []string{"zh", "en"} {
		if m := s.Sentiment[lang]; m != nil {
			parts = append(parts, m.Name+"@"+m.Version)
		}
	}
	return strings.Join(parts, ",")
}

var (
	defaultOnce sync.Once
	defaultSet  *Set
	defaultErr  error
)

// Default returns the embedded models, decoded once per process.
func Default() (*Set, error) {
	defaultOnce.Do(func() { defaultSet, defaultErr = Load(nil) })
	return defaultSet, defaultErr
}

// Load reads sentiment-<lang>.vml.gz from dir, falling back to the embedded
// file for each language dir does not hold. A nil dir loads the embedded set.
func Load(dir fs.FS) (*Set, error) {
	base, err := fs.Sub(embedded, "data")
	if err != nil {
		return nil, err
	}
	set := &Set{Sentiment: map[string]*Linear{}}
	for _, lang := range []string{"zh", "en"} {
		name := "sentiment-" + lang + Ext
		src := base
		if dir != nil {
			if _, err := fs.Stat(dir, name); err == nil {
				src = dir
			}
		}
		f, err := src.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		m, err := ReadLinear(f, name)
		f.Close()
		if err != nil {
			return nil, err
		}
		if m.Name != "sentiment-"+lang {
			return nil, fmt.Errorf("model %s: header names it %q", name, m.Name)
		}
		set.Sentiment[lang] = m
	}
	return set, nil
}
