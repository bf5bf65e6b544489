package segment

import (
	"strings"
	"sync"
)

var shared = struct {
	sync.Mutex
	byConfig map[string]*Segmenter
}{byConfig: map[string]*Segmenter{}}

// Shared returns the segmenter of cfg, built on first use and kept for the
// process. Building one loads gse's dictionary (about 1.3 s and 150 MB);
// the tagger and the index tokenizer of one process usually have the same
// configuration. A Segmenter is safe for concurrent use.
func Shared(cfg Config) (*Segmenter, error) {
	key := strings.Join([]string{cfg.UserDict, strings.Join(cfg.Connectives, "\x01"), strings.Join(cfg.LeadOnly, "\x01")}, "\x00")
	shared.Lock()
	defer shared.Unlock()
	if s := shared.byConfig[key]; s != nil {
		return s, nil
	}
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	shared.byConfig[key] = s
	return s, nil
}
