package llm

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// CacheFile is the name of the cache file in the cache directory.
const CacheFile = "answers.jsonl"

// Cache keeps validated answers on disk by key, so that a re-run does not
// pay for the same request twice. It is one append-only JSONL file, read
// whole at open; each Put appends one line with a single write (O_APPEND),
// so several processes may share the directory; the last line of a key wins,
// and a torn last line (a crash mid-write) is skipped. Keys are hashes;
// answers hold quotes of redacted text only. Safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	f       *os.File
	path    string
	answers map[string]json.RawMessage
	skipped int
}

type cacheLine struct {
	Key    string          `json:"key"`
	Answer json.RawMessage `json:"answer"`
}

// OpenCache opens (creating it, mode 0700) the cache in dir.
func OpenCache(dir string) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("llm cache: %w", err)
	}
	path := filepath.Join(dir, CacheFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("llm cache: %w", err)
	}
	c := &Cache{f: f, path: path, answers: map[string]json.RawMessage{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		var l cacheLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Key == "" || len(l.Answer) == 0 {
			c.skipped++
			continue
		}
		c.answers[l.Key] = l.Answer
	}
	if err := sc.Err(); err != nil {
		f.Close()
		return nil, fmt.Errorf("llm cache %s: %w", path, err)
	}
	// End a torn last line, so that the next answer starts a line of its own.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			if _, err := f.Write([]byte{'\n'}); err != nil {
				f.Close()
				return nil, fmt.Errorf("llm cache %s: %w", path, err)
			}
		}
	}
	return c, nil
}

// Path returns the cache file's path.
func (c *Cache) Path() string { return c.path }

// Len returns the number of cached answers.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.answers)
}

// Get returns the answer cached under key.
func (c *Cache) Get(key string) (json.RawMessage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.answers[key]
	return a, ok
}

// Put stores answer (valid JSON) under key and appends it to the file.
func (c *Cache) Put(key string, answer json.RawMessage) error {
	var buf bytes.Buffer
	if err := json.Compact(&buf, answer); err != nil {
		return fmt.Errorf("llm cache: answer is not JSON: %w", err)
	}
	line, err := json.Marshal(cacheLine{Key: key, Answer: buf.Bytes()})
	if err != nil {
		return err
	}
	line = append(line, '\n')
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return errors.New("llm cache: closed")
	}
	c.answers[key] = json.RawMessage(buf.Bytes())
	if _, err := c.f.Write(line); err != nil {
		return fmt.Errorf("llm cache %s: %w", c.path, err)
	}
	return nil
}

// Close syncs and closes the file.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return nil
	}
	err := c.f.Sync()
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	c.f = nil
	return err
}

// Key hashes the parts of a request that decide its answer (prompt version,
// model, redacted text, taxonomy keys) into a cache key.
func Key(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s\x00", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// DefaultCacheDir is the user cache directory's vocal/llm.
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("llm cache: no user cache directory (set llm.cache_dir or --llm-cache): %w", err)
	}
	return filepath.Join(d, "vocal", "llm"), nil
}
