package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sync"

	"github.com/spf13/cobra"

	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/pipeline/llm"
	"github.com/vocal-dev/vocal/pipeline/redact"
)

// addLLMFlags registers the LLM assist flags (tag, run, summarize) and, with
// tagging, --llm-threshold and --redact (tag, run); they override the config
// file.
func addLLMFlags(c *cobra.Command, g *globalOptions, tagging bool) {
	f := c.Flags()
	d := llm.DefaultConfig()
	l := &g.cfg.LLM
	f.StringVar(&l.BaseURL, "llm-base-url", "", "OpenAI-compatible endpoint of the optional LLM assist, e.g. http://localhost:11434/v1 (off when empty; API key from "+llm.APIKeyEnv+")")
	f.StringVar(&l.Model, "llm-model", "", "model name of the LLM assist")
	f.StringVar(&l.CacheDir, "llm-cache", "", `directory of the LLM answer cache ("" the user cache dir's vocal/llm, "off" none)`)
	if tagging {
		f.Float64Var(&l.Threshold, "llm-threshold", d.Threshold, "sentiment confidence below which a record goes to the LLM (records without a topic always do; 1 sends all)")
		f.BoolVar(&g.cfg.Redact, "redact", false, "replace phone, ID-card and bank-card numbers, e-mails and addresses in the text by [PHONE]-style placeholders before tagging (offsets refer to the redacted text)")
	}
}

// setLLMFlags copies the LLM flags that were set over the config file's values.
func setLLMFlags(set func(string, func()), cfg *Config, flags Config) {
	set("llm-base-url", func() { cfg.LLM.BaseURL = flags.LLM.BaseURL })
	set("llm-model", func() { cfg.LLM.Model = flags.LLM.Model })
	set("llm-threshold", func() { cfg.LLM.Threshold = flags.LLM.Threshold })
	set("llm-cache", func() { cfg.LLM.CacheDir = flags.LLM.CacheDir })
	set("redact", func() { cfg.Redact = flags.Redact })
}

// tagStage wraps the analyzer for tag and run: redaction first (redact),
// then the LLM assist (llm.base_url set). workers is the number of tagging
// workers to run with: at least llm.max_concurrency with the assist, whose
// requests block a worker. done closes the answer cache, prints the
// assist's counters on w and returns them (nil without the assist); call it
// once the run is over (later calls only return the counters).
func tagStage(cfg Config, an *pipeline.Analyzer, w io.Writer) (st pipeline.Stage, workers int, done func() *llm.Counters, err error) {
	st, workers, done = an, cfg.Workers, func() *llm.Counters { return nil }
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if cfg.LLM.Enabled() {
		client, err := llm.NewClient(cfg.LLM, os.Getenv(llm.APIKeyEnv))
		if err != nil {
			return nil, 0, nil, usageError{fmt.Errorf("llm: %w", err)}
		}
		log := slog.New(slog.NewTextHandler(w, nil))
		cache := openLLMCache(cfg.LLM, log)
		opts := []llm.StageOption{llm.WithLogger(log)}
		if cache != nil {
			opts = append(opts, llm.WithCache(cache))
		}
		ls, err := llm.NewStage(an, client, an.Lexicons.Taxonomy, opts...)
		if err != nil {
			return nil, 0, nil, err
		}
		st, workers = ls, max(workers, cfg.LLM.MaxConcurrency)
		done = sync.OnceValue(func() *llm.Counters {
			if cache != nil {
				if err := cache.Close(); err != nil {
					log.Warn("llm cache", "error", err.Error())
				}
			}
			c := ls.Counters()
			fmt.Fprintln(w, "vocal", c)
			return &c
		})
	}
	if cfg.Redact {
		st = pipeline.Redacting(st, redact.String)
	}
	return st, workers, done, nil
}

// openLLMCache opens the answer cache of cfg, or returns nil (with a
// warning when it cannot be opened: the run goes on without it).
func openLLMCache(cfg llm.Config, log *slog.Logger) *llm.Cache {
	dir := cfg.CacheDir
	if dir == llm.CacheOff {
		return nil
	}
	if dir == "" {
		d, err := llm.DefaultCacheDir()
		if err != nil {
			log.Warn("llm: running without an answer cache", "error", err.Error())
			return nil
		}
		dir = d
	}
	c, err := llm.OpenCache(dir)
	if err != nil {
		log.Warn("llm: running without an answer cache", "error", err.Error())
		return nil
	}
	return c
}
