package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/vocal-dev/vocal/pipeline/report"
)

func newReportCmd() *cobra.Command {
	var dir, out, title string
	var opt report.Options
	c := &cobra.Command{
		Use:   "report --run DIR -o report.html",
		Short: "Write one self-contained HTML report of a dataset's root-cause tables",
		Long: `Reads the drivers, trends and key_drivers tables, the records and the
manifest of the dataset DIR written by vocal run, and writes one HTML file
that opens offline: topic x sentiment bars, NPS impact with 95% intervals,
NPS trends with spikes marked, the most negative evidence per topic with its
span highlighted, and the risk hits. Charts are inline SVG; no script runs.`,
		Example: `  vocal run --input feedback.jsonl --scores scores.csv --by region --out out/
  vocal report --run out/ -o report.html`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" || out == "" {
				return usagef("report needs --run and -o")
			}
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return usagef("--run %s: not a directory", dir)
			}
			opt.Title = title
			f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp*")
			if err != nil {
				return err
			}
			defer os.Remove(f.Name())
			if err := f.Chmod(0o644); err != nil {
				f.Close()
				return err
			}
			w := bufio.NewWriter(f)
			if err := report.Write(cmd.Context(), w, dir, opt); err != nil {
				f.Close()
				return err
			}
			if err := errors.Join(w.Flush(), f.Sync()); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			if err := os.Rename(f.Name(), out); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "vocal report: %s\n", out)
			return nil
		},
	}
	c.Flags().StringVar(&dir, "run", "", "dataset directory written by vocal run")
	c.Flags().StringVarP(&out, "out", "o", "", "HTML file to write")
	c.Flags().StringVar(&title, "title", "", `page title (default "vocal report: <dir name>")`)
	c.Flags().IntVar(&opt.Evidence, "evidence", 5, "negative snippets per topic")
	c.Flags().IntVar(&opt.Risks, "risks", 50, "rows of the risk table")
	return c
}
