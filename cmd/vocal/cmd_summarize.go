package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/pipeline/llm"
	"github.com/vocal-dev/vocal/pipeline/redact"
)

// snippetRunes bounds the evidence text sent per record.
const snippetRunes = 300

func newSummarizeCmd(g *globalOptions) *cobra.Command {
	var dir, topic, sent string
	var sample int
	var seed uint64
	var asJSON bool
	c := &cobra.Command{
		Use:   "summarize --run DIR --topic KEY [--sentiment negative]",
		Short: "Summarise the themes of a topic's evidence with the LLM assist (needs llm.base_url)",
		Long: `Reads the records of the dataset DIR (records/**/*.parquet; a later run's record
replaces an earlier one), keeps those with a mention of --topic (and, with
--sentiment, of that aspect sentiment), samples --sample of them
deterministically for --seed, redacts the evidence snippets, and asks the
LLM endpoint for a short summary with quoted examples. Examples whose record
id is not in the sample, or whose quote is not in its snippet, are dropped.
Needs llm.base_url and llm.model (config file or --llm-base-url,
--llm-model); the API key comes from ` + llm.APIKeyEnv + `.`,
		Example: `  VOCAL_LLM_API_KEY=... vocal summarize --run out/ds --topic logistics --sentiment negative \
      --llm-base-url https://api.openai.com/v1 --llm-model gpt-4o-mini`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" || topic == "" {
				return usagef("summarize needs --run DIR and --topic KEY")
			}
			if sent != "" && !slices.Contains([]string{"positive", "negative", "neutral"}, sent) {
				return usagef("--sentiment %q: want positive, negative or neutral", sent)
			}
			if sample < 1 || sample > 500 {
				return usagef("--sample %d: want 1 to 500", sample)
			}
			cfg, err := g.load(cmd)
			if err != nil {
				return err
			}
			if !cfg.LLM.Enabled() {
				return usagef("summarize needs an LLM endpoint: set llm.base_url and llm.model in --config FILE, or --llm-base-url and --llm-model (and %s if the endpoint needs a key)", llm.APIKeyEnv)
			}
			files, err := pipeline.RecordFiles(dir)
			if err != nil || len(files) == 0 {
				return usagef("--run %s: no record files (records/*/part-*.parquet); is it a dataset of vocal run?", dir)
			}
			snips, seen, err := topicSnippets(cmd, dir, topic, sent)
			if err != nil {
				return err
			}
			if !seen[topic] {
				return usagef("--topic %q: no record of %s mentions it (topics there: %s)", topic, dir, strings.Join(slices.Sorted(maps.Keys(seen)), ", "))
			}
			if len(snips) == 0 {
				return fmt.Errorf("no %s mention of topic %q in %s", sent, topic, dir)
			}
			picked := llm.Sample(snips, sample, seed)
			client, err := llm.NewClient(cfg.LLM, os.Getenv(llm.APIKeyEnv))
			if err != nil {
				return usageError{fmt.Errorf("llm: %w", err)}
			}
			cache := openLLMCache(cfg.LLM, slog.New(slog.NewTextHandler(os.Stderr, nil)))
			if cache != nil {
				defer cache.Close()
			}
			sum, err := client.Summarize(cmd.Context(), topic, sent, picked, cache)
			if err != nil && sum == nil {
				return fmt.Errorf("summarize: the LLM endpoint %s gave no usable answer (%s): %w", cfg.LLM.BaseURL, llm.ReasonOf(err), err)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "vocal: llm cache:", err)
			}
			out := summaryOutput{Topic: topic, Sentiment: sent, Matched: len(snips), Sampled: len(picked), Seed: seed,
				Model: cfg.LLM.Model, Summary: sum}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetEscapeHTML(false)
				return enc.Encode(out)
			}
			out.print(cmd.OutOrStdout())
			how := fmt.Sprintf("1 request, %d tokens", sum.Tokens)
			if sum.Cached {
				how = "answered from the cache"
			}
			fmt.Fprintf(os.Stderr, "vocal summarize: %s, %s\n", cfg.LLM.Model, how)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "run", "", "dataset directory written by vocal run --out")
	f.StringVar(&topic, "topic", "", "taxonomy topic key, e.g. logistics")
	f.StringVar(&sent, "sentiment", "", "aspect sentiment of the mentions: positive, negative or neutral (default any)")
	f.IntVar(&sample, "sample", 40, "evidence snippets sent (one per record)")
	f.Uint64Var(&seed, "seed", 1, "seed of the deterministic sample")
	f.BoolVar(&asJSON, "json", false, "print the summary as one JSON object")
	addLLMFlags(c, g, false)
	return c
}

// topicSnippets reads the dataset's records and returns, per record id (the
// latest run's record), the redacted evidence of its first mention of topic
// with sentiment (any when empty), sorted by id, and the topics seen.
func topicSnippets(cmd *cobra.Command, dir, topic, sent string) ([]llm.Snippet, map[string]bool, error) {
	byID := map[string]llm.Snippet{}
	seen := map[string]bool{}
	err := pipeline.ReadRecords(cmd.Context(), dir, func(r *pipeline.Record) error {
		delete(byID, r.ID)
		if r.Out == nil {
			return nil
		}
		for _, m := range r.Out.Topics {
			seen[m.Topic] = true
			if m.Topic != topic || (sent != "" && m.Sentiment != sent) {
				continue
			}
			if _, ok := byID[r.ID]; ok {
				continue
			}
			ev := m.Evidence
			if rs := []rune(ev); len(rs) > snippetRunes {
				ev = string(rs[:snippetRunes]) + "…"
			}
			if strings.TrimSpace(ev) == "" {
				ev = r.Text
			}
			byID[r.ID] = llm.Snippet{ID: r.ID, Text: redact.String(ev)}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	out := make([]llm.Snippet, 0, len(byID))
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		out = append(out, byID[id])
	}
	return out, seen, nil
}

// summaryOutput is what summarize prints.
type summaryOutput struct {
	Topic     string `json:"topic"`
	Sentiment string `json:"sentiment,omitempty"`
	Matched   int    `json:"matched"` // records with a matching mention
	Sampled   int    `json:"sampled"`
	Seed      uint64 `json:"seed"`
	Model     string `json:"model"`
	*llm.Summary
}

func (o summaryOutput) print(w io.Writer) {
	about := o.Topic
	if o.Sentiment != "" {
		about += ", " + o.Sentiment
	}
	fmt.Fprintf(w, "%s: %d of %d matching records sampled (seed %d), summarised by %s\n\n%s\n", about, o.Sampled, o.Matched, o.Seed, o.Model, o.Summary.Summary)
	if len(o.Examples) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for _, ex := range o.Examples {
			fmt.Fprintf(w, "  %q (record %s)\n", ex.Quote, ex.ID)
		}
	}
	if o.Dropped > 0 {
		fmt.Fprintf(w, "\n(%d example(s) dropped: their record id was not in the sample or their quote not in its snippet)\n", o.Dropped)
	}
}
