package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/pipeline/rootcause"
)

func newRunCmd(g *globalOptions) *cobra.Command {
	var inputs []string
	var out, scoresFile string
	var idx indexOptions
	var nightly nightlyOptions
	c := &cobra.Command{
		Use:   "run --input PATH... --out DIR",
		Short: "Batch job: tag inputs into a dataset of Arrow and Parquet files",
		Long: `Tags every input record and adds this run's files to the dataset DIR:
  records/date=YYYY-MM-DD/part-<run-id>.parquet and .arrow (by the day of created_at)
  alerts.jsonl (records matching an alert rule of the config file; by
  default risk >= medium) and rejects.jsonl, appended; alerts also go to
  the rules' routes
  runs/<run-id>.json and manifest.json (counts: read = written + rejected)
  drivers, trends, key_drivers (.arrow, .parquet): recomputed over the dataset
  scores/part-<run-id>.parquet: the --scores file, joined by --join-key
  state.json: how far each input file was read
Files appear under their final names only when complete; runs/<run-id>.json
commits the run. Runs are incremental: an input file read before is read on
from where the last run stopped, and a record whose id the dataset holds
with the same text is skipped (--full reads and writes everything again).
A run killed at any point is undone by the next one, which reads its
records again.`,
		Example: `  vocal run --input testdata/sample/feedback.jsonl --out out/
  vocal run --input /data/feedback.jsonl --out /data/vocal --max-reject-rate 0.05 --progress log`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(inputs) == 0 || out == "" {
				return usagef("run needs --input and --out")
			}
			if err := nightly.validate(); err != nil {
				return err
			}
			cfg, err := g.load(cmd)
			if err != nil {
				return err
			}
			var scores *rootcause.Scores
			if scoresFile != "" {
				if scores, err = rootcause.ReadScores(scoresFile, cfg.RootCause); err != nil {
					return usageError{err}
				}
			}
			started := time.Now().UTC()
			an, err := analyzer(cfg)
			if err != nil {
				return err
			}
			st, workers, llmDone, err := tagStage(cfg, an, os.Stderr)
			if err != nil {
				return err
			}
			defer llmDone()
			for _, in := range inputs {
				if in != "-" {
					if _, err := os.Stat(in); err != nil {
						return fmt.Errorf("open input: %w", err)
					}
				}
			}
			runID := newRunID(started)
			dr, err := pipeline.BeginRun(out, runID, started)
			if err != nil {
				return lockedError(out, err)
			}
			defer dr.Close() // rolls back unless committed
			kill := killAt()
			dr.OnStep = kill
			prog := newProgress(nightly.progress, nightly.progressEvery, os.Stderr)
			var bytesRead atomic.Int64
			inOpts, incr, err := nightly.inputOptions(cmd.Context(), dr, cfg, &bytesRead, prog)
			if err != nil {
				return err
			}
			src, err := pipeline.OpenInputs(inputs, cfg.Input, inOpts...)
			if err != nil {
				return usageError{err}
			}
			defer src.Close()
			alerts, err := newAlerts(cmd.Context(), cfg.Alerts, nil, nil, slog.Default())
			if err != nil {
				return err
			}
			defer alerts.Close()
			sink, err := pipeline.NewDatasetSink(pipeline.DatasetConfig{Dir: out, RunID: runID, TimeField: cfg.TimeField, BatchRows: cfg.BatchRows, RunTime: started, Alert: alerts.Match})
			if err != nil {
				return err
			}
			sinks := []pipeline.Sink{alerts, sink}
			ix, err := idx.open()
			if err != nil {
				sink.Abort()
				return err
			}
			if ix != nil {
				sinks = append(sinks, ix)
			}
			prog.start(src.Remaining(), &bytesRead, src.Unchanged)
			counts, err := pipeline.Run(cmd.Context(), src, st, pipeline.Tee(sinks...), pipeline.RunOptions{Workers: workers, OnWritten: prog.onWritten})
			prog.finish()
			kill("tagged")
			var ixErr error
			if ix != nil {
				if ixErr = ix.Close(); ixErr != nil {
					ixErr = fmt.Errorf("%w (the dataset is complete: vocal index rebuild --run %s --index %s)", ixErr, out, idx.dir)
				}
			}
			if err != nil {
				sink.Abort()
				return err
			}
			prog.phase("committing", "records", counts.Written)
			if err := sink.Close(); err != nil {
				sink.Abort()
				return fmt.Errorf("commit dataset: %w", err)
			}
			kill("closed")
			prog.phase("tables")
			agg, aggErr := rootcause.Update(cmd.Context(), out, runID, scores, cfg.RootCause)
			kill("tables")
			finished := time.Now().UTC()
			m := &pipeline.Manifest{
				RunID: runID, StartedAt: started, FinishedAt: finished, DurationMS: finished.Sub(started).Milliseconds(),
				Inputs: src.Stats, Counts: counts, Alerts: sink.Alerts, Partitions: sink.Partitions(), Files: sink.Files(),
				Versions: pipeline.Versions{Vocal: version, Lexicons: an.Lexicons.Version,
					Taxonomy: fmt.Sprintf("v%d", an.Lexicons.Taxonomy.Version), Models: an.ModelsVersion()},
				Config: cfg, Aggregates: agg, Incremental: incr,
			}
			if c := llmDone(); c != nil {
				m.LLM = c
			}
			incr.Unchanged = src.Unchanged()
			if err := dr.Commit(m); err != nil {
				return fmt.Errorf("manifest: %w", err)
			}
			describeInputs(os.Stderr, src.Stats)
			if aggErr != nil {
				return fmt.Errorf("aggregate tables: %w", aggErr)
			}
			if ixErr != nil {
				return ixErr
			}
			fmt.Fprintf(os.Stderr, "vocal run %s: read %d, written %d, rejected %d, unchanged %d, alerts %d, %d partition(s) in %s (%.0f records/s)\n",
				runID, counts.Read, counts.Written, counts.Rejected, incr.Unchanged, sink.Alerts, len(m.Partitions), out,
				float64(counts.Read)/finished.Sub(started).Seconds())
			return nightly.checkRun(out, m)
		},
	}
	c.Flags().StringSliceVar(&inputs, "input", nil, "input files (JSONL or CSV; \"-\" for stdin); repeat or comma-separate")
	c.Flags().StringVar(&out, "out", "", "dataset directory")
	c.Flags().StringVar(&g.cfg.TimeField, "time-field", "created_at", "field whose day partitions the records")
	addRootCauseFlags(c, g, &scoresFile)
	addLLMFlags(c, g, true)
	idx.register(c)
	nightly.register(c)
	return c
}

// newRunID is sortable by start time and unique across concurrent runs.
func newRunID(t time.Time) string {
	b := make([]byte, 3)
	rand.Read(b)
	return t.Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}
