package main

import (
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/vocal-dev/vocal/pipeline"
)

func newTagCmd(g *globalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "tag [FILE...]",
		Short: "Tag records from files or stdin; JSONL on stdout, rejects on stderr",
		Long: `Reads JSONL or CSV records (files, or stdin when none or "-") and writes one
output record per line on stdout. Rejected rows go to stderr as JSON lines
naming the file, line, field and reason.`,
		Example: `  vocal tag testdata/sample/feedback.jsonl
  echo '{"id":"1","text":"物流很快，但是客服态度太差了"}' | vocal tag`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load(cmd)
			if err != nil {
				return err
			}
			an, err := analyzer(cfg)
			if err != nil {
				return err
			}
			st, workers, done, err := tagStage(cfg, an, os.Stderr)
			if err != nil {
				return err
			}
			defer done()
			src, err := pipeline.OpenInputs(args, cfg.Input)
			if err != nil {
				return usageError{err}
			}
			defer src.Close()
			sink := pipeline.NewJSONLSink(os.Stdout, os.Stderr)
			sink.FlushEach = len(args) == 0 || slices.Contains(args, "-")
			_, err = pipeline.Run(cmd.Context(), src, st, sink, pipeline.RunOptions{Workers: workers})
			if cerr := sink.Close(); err == nil {
				err = cerr
			}
			return err
		},
	}
	addLLMFlags(c, g, true)
	return c
}
