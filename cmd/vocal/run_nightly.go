package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/pipeline/redact"
)

// nightlyOptions are the flags of vocal run for scheduled, incremental runs:
// --full, --max-reject-rate, --progress, --progress-every.
type nightlyOptions struct {
	full          bool
	maxRejectRate float64
	progress      string
	progressEvery time.Duration
}

func (o *nightlyOptions) register(c *cobra.Command) {
	f := c.Flags()
	f.BoolVar(&o.full, "full", false, "read every input from the start and write every record again, unchanged ones too (after a lexicon, model or config change); the latest run's row of an id wins")
	f.Float64Var(&o.maxRejectRate, "max-reject-rate", 1, "exit 1 when more than this share of the records read is rejected (0.05 = 5%); the run is committed all the same")
	f.StringVar(&o.progress, "progress", "auto", "progress report on stderr: auto (a bar on a terminal, else log lines), bar, log, none")
	f.DurationVar(&o.progressEvery, "progress-every", 30*time.Second, "interval of the progress log lines")
}

func (o *nightlyOptions) validate() error {
	if o.maxRejectRate < 0 || o.maxRejectRate > 1 {
		return usagef("--max-reject-rate %v: want a share in [0, 1]", o.maxRejectRate)
	}
	switch o.progress {
	case "auto", "bar", "log", "none":
	default:
		return usagef("--progress %q: want auto, bar, log or none", o.progress)
	}
	if o.progressEvery <= 0 {
		return usagef("--progress-every %v: want a positive duration", o.progressEvery)
	}
	return nil
}

// inputOptions returns the options that make the inputs incremental: read
// on from the dataset's state, skip the records the dataset holds with the
// same text (none with --full), count the bytes read. The id index is
// loaded from the dataset's committed record files.
func (o *nightlyOptions) inputOptions(ctx context.Context, dr *pipeline.DatasetRun, cfg Config, bytes *atomic.Int64, prog *progress) ([]pipeline.InputOption, *pipeline.IncrementalStats, error) {
	stats := &pipeline.IncrementalStats{Full: o.full, RolledBack: dr.RolledBack}
	for _, id := range dr.RolledBack {
		fmt.Fprintf(os.Stderr, "vocal run: undid run %s, killed before its commit: its input is read again\n", id)
	}
	var ix *pipeline.SeenIndex
	if !o.full {
		prog.phase("loading the dataset's record ids")
		t := time.Now()
		var err error
		if ix, err = pipeline.LoadSeenIndex(ctx, dr.Dir); err != nil {
			return nil, nil, fmt.Errorf("dataset ids: %w", err)
		}
		stats.DatasetIDs, stats.IDsLoadMS = int64(ix.Len()), time.Since(t).Milliseconds()
	}
	var textOf func(string) string
	if cfg.Redact {
		textOf = redact.String // the dataset holds redacted texts
	}
	return []pipeline.InputOption{
		pipeline.WithResume(dr.State.Inputs, o.full),
		pipeline.WithSkip(pipeline.SkipUnchanged(ix, textOf)),
		pipeline.WithByteCounter(bytes),
	}, stats, nil
}

// checkRun returns the one-line reason to exit 1 after a committed run:
// counts that do not reconcile (a record unaccounted for), or a reject rate
// above --max-reject-rate.
func (o *nightlyOptions) checkRun(out string, m *pipeline.Manifest) error {
	c := m.Counts
	var inRead, inRejected, rows int64
	for _, in := range m.Inputs {
		inRead += in.Read
		inRejected += in.Rejected
	}
	for _, n := range m.Partitions {
		rows += n
	}
	if c.Read != c.Written+c.Rejected || inRead != c.Read || inRejected != c.Rejected || rows != c.Written {
		return fmt.Errorf("run %s: counts do not reconcile (read %d, written %d, rejected %d; inputs read %d, rejected %d; %d rows in the record files): records may be lost",
			m.RunID, c.Read, c.Written, c.Rejected, inRead, inRejected, rows)
	}
	if c.Read > 0 {
		if rate := float64(c.Rejected) / float64(c.Read); rate > o.maxRejectRate {
			pct := fmt.Sprintf("%.1f", 100*rate)
			if 100*rate < 0.1 {
				pct = strconv.FormatFloat(100*rate, 'g', 2, 64)
			}
			return fmt.Errorf("rejected %s%% of %d records (> %s%%, --max-reject-rate); see %s",
				pct, c.Read, strconv.FormatFloat(100*o.maxRejectRate, 'g', 4, 64), filepath.Join(out, "rejects.jsonl"))
		}
	}
	return nil
}

// lockedError explains ErrDatasetLocked.
func lockedError(out string, err error) error {
	if errors.Is(err, pipeline.ErrDatasetLocked) {
		return fmt.Errorf("%s: another vocal run is writing this dataset; try again when it has finished", out)
	}
	return err
}

// killAt is the crash tests' hook: with VOCAL_TEST_KILL_AT=step the process
// kills itself (SIGKILL, no clean-up) right after that step of vocal run:
// tagged, closed, tables, manifest, state.
func killAt() func(step string) {
	at := os.Getenv("VOCAL_TEST_KILL_AT")
	return func(step string) {
		if at != "" && step == at {
			if p, err := os.FindProcess(os.Getpid()); err == nil {
				p.Kill()
			}
			select {} // until the signal lands
		}
	}
}

// plural formats n with a noun.
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.FormatInt(n, 10) + " " + noun + "s"
}

// describeInputs writes what the run read of each input: new, resumed from
// a line, unchanged, changed.
func describeInputs(w io.Writer, stats []*pipeline.InputStat) {
	for _, in := range stats {
		p := in.Position
		if p == nil {
			continue
		}
		switch p.Mode {
		case pipeline.ModeResumed:
			fmt.Fprintf(w, "vocal run: %s: resumed after line %d: %s\n", in.Path, p.FromLine, plural(in.Read+in.Unchanged, "new record"))
		case pipeline.ModeUnchanged:
			fmt.Fprintf(w, "vocal run: %s: unchanged since the last run\n", in.Path)
		case pipeline.ModeChanged:
			fmt.Fprintf(w, "vocal run: %s: replaced or truncated since the last run: read from the start (%s already in the dataset)\n",
				in.Path, plural(in.Unchanged, "record"))
		}
	}
}
