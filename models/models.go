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

// Set is the models vocal uses per language ("zh", "en"): document
// sentiment, and clause topics for implicit mentions. A language without a
// model is tagged by the lexicons and taxonomy alone.
type Set struct {
	Sentiment map[string]*Linear
	Topics    map[string]*Linear
}

// Version names the models of a set, for manifests: "none" when empty.
func (s *Set) Version() string {
	if s == nil || len(s.Sentiment) == 0 {
		return "none"
	}
	var parts []string
	for _, byLang := range []map[string]*Linear{s.Sentiment, s.Topics} {
		for _, lang := range []string{"zh", "en"} {
			if m := byLang[lang]; m != nil {
				parts = append(parts, m.Name+"@"+m.Version)
			}
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

// Load reads sentiment-<lang>.vml.gz and topics-<lang>.vml.gz from dir,
// falling back to the embedded file for each one dir does not hold. A nil dir
// loads the embedded set.
func Load(dir fs.FS) (*Set, error) {
	set := &Set{Sentiment: map[string]*Linear{}, Topics: map[string]*Linear{}}
	for _, lang := range []string{"zh", "en"} {
		for kind, byLang := range map[string]map[string]*Linear{"sentiment": set.Sentiment, "topics": set.Topics} {
			m, err := load(dir, kind+"-"+lang)
			if err != nil {
				return nil, err
			}
			if m != nil {
				byLang[lang] = m
			}
		}
	}
	return set, nil
}

// load reads the model file of name from dir or the embedded data; nil when
// neither has it.
func load(dir fs.FS, model string) (*Linear, error) {
	src, err := fs.Sub(embedded, "data")
	if err != nil {
		return nil, err
	}
	name := model + Ext
	if dir != nil {
		if _, err := fs.Stat(dir, name); err == nil {
			src = dir
		}
	}
	f, err := src.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := ReadLinear(f, name)
	if err != nil {
		return nil, err
	}
	if m.Name != model {
		return nil, fmt.Errorf("model %s: header names it %q", name, m.Name)
	}
	return m, nil
}
