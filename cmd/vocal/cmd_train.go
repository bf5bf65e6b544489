package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/models/train"
)

func newTrainCmd() *cobra.Command {
	cfg := train.Config{Buckets: map[string]int{}}
	var zhBits, enBits int
	var langs []string
	c := &cobra.Command{
		Use:   "train --datasets DIR --out DIR",
		Short: "Train the sentiment and topic models from the public corpora and write them with their model card",
		Long: `Reads the labelled corpora of ../shared/datasets, deduplicates them, trains a
sentiment and a topic model per language with a fixed seed, and writes
sentiment-<lang>.vml.gz, topics-<lang>.vml.gz, metrics.json and README.md (the
model card) to --out.
Models are measured by leaving one corpus out: each corpus is scored by a model
trained on the others; research-only corpora are never trained on. It prints
the per-corpus figures and the model-lexicon rule it chose.
The same data, seed and lexicons give byte-identical models.`,
		Example: `  vocal train --datasets ../shared/datasets --out models/data`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.Datasets == "" || cfg.Out == "" {
				return usagef("train needs --datasets and --out")
			}
			if st, err := os.Stat(cfg.Datasets); err != nil || !st.IsDir() {
				return usagef("--datasets %s: not a directory", cfg.Datasets)
			}
			if zhBits < 10 || zhBits > 26 || enBits < 10 || enBits > 26 {
				return usagef("--zh-bits and --en-bits: want 10 to 26")
			}
			cfg.Buckets["zh"], cfg.Buckets["en"] = 1<<zhBits, 1<<enBits
			if len(langs) > 0 {
				cfg.Only = map[string]bool{}
				for _, l := range langs {
					if l != "zh" && l != "en" {
						return usagef("--lang %q: want zh or en", l)
					}
					cfg.Only[l] = true
				}
			}
			set, err := lexicons.Default()
			if err != nil {
				return err
			}
			cfg.Lexicons = set
			cfg.Command = "vocal " + strings.Join(os.Args[1:], " ")
			cfg.Log = os.Stderr
			rep, err := train.Run(cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "wrote %d model(s), metrics.json and README.md to %s\n", len(rep.Models), cfg.Out)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&cfg.Datasets, "datasets", "", "directory of the public corpora (../shared/datasets)")
	f.StringVar(&cfg.Out, "out", "", "directory for the model files and card (models/data to replace the embedded ones)")
	f.StringVar(&cfg.Version, "version", "1", "model version recorded in the files")
	f.IntVar(&cfg.Fit.Epochs, "epochs", 8, "passes over the training data")
	f.Float64Var(&cfg.Fit.LearningRate, "learning-rate", 0.2, "AdaGrad base learning rate")
	f.Float64Var(&cfg.Fit.L2, "l2", 1e-6, "L2 penalty")
	f.Uint64Var(&cfg.Fit.Seed, "seed", 1, "shuffle seed")
	f.IntVar(&zhBits, "zh-bits", 20, "log2 of the zh model's hashed feature buckets")
	f.IntVar(&enBits, "en-bits", 18, "log2 of the en model's hashed feature buckets")
	f.StringSliceVar(&langs, "lang", nil, "train only these languages (zh, en)")
	f.BoolVar(&cfg.Balance, "balance", true, "weigh each source by sqrt(mean source size / its size) per item")
	return c
}
