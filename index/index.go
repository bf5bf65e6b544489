package index

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrLocked is returned when another process holds the index open.
var ErrLocked = errors.New("locked by another process")

// DefaultLockTimeout is how long Open and OpenReadOnly wait for another
// process to release the index before failing with ErrLocked.
const DefaultLockTimeout = time.Second

// Option configures Open and OpenReadOnly.
type Option func(*options)

type options struct {
	lockTimeout time.Duration
}

// WithLockTimeout sets how long to wait for another process to release the
// index (DefaultLockTimeout); it must be positive, as bleve waits forever
// otherwise.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.lockTimeout = d
		}
	}
}

func buildOptions(opts []Option) options {
	o := options{lockTimeout: DefaultLockTimeout}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// metaFile marks a directory holding a bleve index.
const metaFile = "index_meta.json"

// Exists reports whether dir holds an index.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, metaFile))
	return err == nil
}

// Open opens the index in dir for writing, creating it with NewMapping when
// dir holds none. Only one process may have an index open for writing, and
// none may read it meanwhile: another one fails after the lock timeout with
// an error wrapping ErrLocked ("index DIR is locked by another process").
func Open(dir string, opts ...Option) (bleve.Index, error) {
	o := buildOptions(opts)
	cfg := map[string]any{"bolt_timeout": o.lockTimeout.String()}
	var idx bleve.Index
	var err error
	if Exists(dir) {
		idx, err = bleve.OpenUsing(dir, cfg)
	} else {
		idx, err = bleve.NewUsing(dir, NewMapping(), scorch.Name, scorch.Name, cfg)
	}
	return idx, openError(dir, err)
}

// OpenReadOnly opens an existing index for searching. Several readers may
// share it; a writer holding it makes this fail with ErrLocked.
func OpenReadOnly(dir string, opts ...Option) (bleve.Index, error) {
	if !Exists(dir) {
		return nil, fmt.Errorf("index %s: no index there (build one with vocal run --index or vocal index rebuild)", dir)
	}
	o := buildOptions(opts)
	idx, err := bleve.OpenUsing(dir, map[string]any{"read_only": true, "bolt_timeout": o.lockTimeout.String()})
	return idx, openError(dir, err)
}

func openError(dir string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bolterrors.ErrTimeout):
		return fmt.Errorf("index %s is %w", dir, ErrLocked)
	}
	return fmt.Errorf("index %s: %w", dir, err)
}
