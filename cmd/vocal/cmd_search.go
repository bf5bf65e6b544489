package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vocal-dev/vocal/index"
	"github.com/vocal-dev/vocal/pipeline"
)

// indexOptions are the --index flags of run and stream.
type indexOptions struct {
	dir      string
	batch    int
	interval time.Duration
}

func (o *indexOptions) register(c *cobra.Command) {
	c.Flags().StringVar(&o.dir, "index", "", "also upsert the tagged records into the Bleve index DIR (created when missing)")
	c.Flags().IntVar(&o.batch, "index-batch", index.DefaultBatchSize, "documents per index batch")
	c.Flags().DurationVar(&o.interval, "index-commit", index.DefaultCommitInterval, "commit a partial index batch this long after its first record")
}

// open returns the index sink, or nil without --index.
func (o *indexOptions) open() (*index.Sink, error) {
	if o.dir == "" {
		return nil, nil
	}
	idx, err := index.Open(o.dir)
	if err != nil {
		return nil, err
	}
	return index.NewSink(idx, o.batch, index.WithCommitInterval(o.interval))
}

func newSearchCmd() *cobra.Command {
	var dir, from, to string
	var fields []string
	var asJSON bool
	var q index.Query
	c := &cobra.Command{
		Use:   "search --index DIR [QUERY]",
		Short: "Search the Bleve index for complaint themes, with facets and highlights",
		Long: `Searches the index written by vocal run --index (or vocal stream --index).
QUERY is in bleve's query-string syntax: words (物流 慢), required and excluded
words (+refund -shipping), AND / OR / NOT, "phrases", and field:value terms
(topics:logistics, aspects:logistics:negative, region:华东, csat:<=2).
Unqualified words search the text, Chinese by word and sub-word, English by
stem. The flags add filters that all must hold; every search counts the
topics, sentiment and risk_level of all matches, plus the --facet fields.`,
		Example: `  vocal search --index out/idx '物流 慢'
  vocal search --index out/idx 'refund AND rude' --lang en
  vocal search --index out/idx --topic logistics:negative --field region=华东 --from 2026-07-01 --to 2026-10-01 --facet region
  vocal search --index out/idx --risk high --sort -created_at --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usagef("search needs --index DIR")
			}
			q.Text = strings.Join(args, " ")
			var err error
			if q.From, err = parseDay("--from", from); err != nil {
				return err
			}
			if q.To, err = parseDay("--to", to); err != nil {
				return err
			}
			for _, f := range fields {
				m, err := index.ParseFieldMatch(f)
				if err != nil {
					return usageError{err}
				}
				q.Fields = append(q.Fields, m)
			}
			idx, err := index.OpenReadOnly(dir)
			if err != nil {
				return err
			}
			defer idx.Close()
			res, err := index.Search(cmd.Context(), idx, q)
			if err != nil {
				return usageError{err}
			}
			if asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetEscapeHTML(false)
				return enc.Encode(res)
			}
			printResult(os.Stdout, res)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "index", "", "index directory")
	f.StringSliceVar(&q.Topics, "topic", nil, "topic (logistics) or aspect (logistics:negative); repeat: all must hold")
	f.StringVar(&q.Sentiment, "sentiment", "", "document sentiment: positive, neutral, negative")
	f.StringVar(&q.Risk, "risk", "", "risk level and above (medium, high, critical), none, or a risk category (fraud, safety, ...)")
	f.StringVar(&q.Lang, "lang", "", "language: zh, en, mixed, und")
	f.StringVar(&from, "from", "", "only records at or after this time (2026-07-01 or RFC 3339)")
	f.StringVar(&to, "to", "", "only records before this time")
	f.StringVar(&q.TimeField, "time-field", index.FieldCreatedAt, "datetime field of --from and --to")
	f.StringArrayVar(&fields, "field", nil, "passthrough field filter name=value; repeat (values of one name are alternatives)")
	f.StringSliceVar(&q.Facets, "facet", nil, "extra fields to count values of (region, channel, csat, ...)")
	f.IntVar(&q.FacetSize, "facet-size", 10, "values shown per facet")
	f.StringSliceVar(&q.Sort, "sort", nil, "sort fields, - for descending (-created_at, csat, _score)")
	f.IntVar(&q.Size, "size", 10, "hits per page")
	f.IntVar(&q.Page, "page", 1, "page number, from 1")
	f.StringVar(&q.Highlight, "highlight", index.HighlightBrackets, "fragment style: vocal_brackets, ansi, html")
	f.BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	return c
}

// parseDay parses a --from/--to value; empty is the zero time.
func parseDay(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, ok := pipeline.ParseTime(s)
	if !ok {
		return t, usagef("%s %q: want a date (2026-07-01) or an RFC 3339 time", flag, s)
	}
	return t, nil
}

func printResult(w io.Writer, res *index.Result) {
	pages := (int(res.Total) + res.Size - 1) / res.Size
	fmt.Fprintf(w, "%d hits in %.1f ms, page %d of %d\n", res.Total, res.TookMS, res.Page, max(pages, 1))
	for _, h := range res.Hits {
		fmt.Fprintf(w, "\n%s  (score %.3f)\n", h.ID, h.Score)
		frags := h.Fragments
		if len(frags) == 0 {
			frags = []string{h.Text}
		}
		for _, fr := range frags {
			fmt.Fprintf(w, "  %s\n", strings.ReplaceAll(fr, "\n", " "))
		}
	}
	if len(res.Facets) > 0 {
		fmt.Fprintln(w)
	}
	for _, f := range res.Facets {
		parts := make([]string, 0, len(f.Values)+1)
		for _, v := range f.Values {
			parts = append(parts, fmt.Sprintf("%s %d", v.Value, v.Count))
		}
		if f.Other > 0 {
			parts = append(parts, fmt.Sprintf("(other %d)", f.Other))
		}
		fmt.Fprintf(w, "%s: %s\n", f.Field, strings.Join(parts, ", "))
	}
}

func newIndexCmd() *cobra.Command {
	c := &cobra.Command{Use: "index", Short: "Maintain the Bleve index"}
	var dataset, dir string
	var batch int
	rebuild := &cobra.Command{
		Use:   "rebuild --run DIR --index DIR",
		Short: "Rebuild the index from a dataset's record Parquet files",
		Long: `Builds the index afresh from DIR/records/**/*.parquet (a later run's record
replacing an earlier one) beside the index directory, then swaps it in: use
it after a crash left the index behind the dataset, or to change the mapping.
The old index stays as it was if the rebuild fails.`,
		Example: `  vocal index rebuild --run out/ --index out/idx`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dataset == "" || dir == "" {
				return usagef("index rebuild needs --run and --index")
			}
			started := time.Now()
			n, err := index.Rebuild(cmd.Context(), dataset, dir, batch)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "vocal index rebuild: %d records from %s into %s in %s\n",
				n, dataset, dir, time.Since(started).Round(time.Millisecond))
			return nil
		},
	}
	rebuild.Flags().StringVar(&dataset, "run", "", "dataset directory written by vocal run")
	rebuild.Flags().StringVar(&dir, "index", "", "index directory to rebuild")
	rebuild.Flags().IntVar(&batch, "index-batch", index.DefaultBatchSize, "documents per index batch")
	c.AddCommand(rebuild)
	return c
}
