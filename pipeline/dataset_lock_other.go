//go:build !unix

package pipeline

// lockDir does not lock where flock is missing (Windows): concurrent runs on
// one dataset are then the operator's to avoid.
func lockDir(string) (unlock func() error, err error) {
	return func() error { return nil }, nil
}

// syncDir is a no-op where directories cannot be synced (Windows).
func syncDir(string) error { return nil }
