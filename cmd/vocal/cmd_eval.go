package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/vocal-dev/vocal/pipeline"
)

func newEvalCmd(g *globalOptions) *cobra.Command {
	var goldPath, predOut string
	var asJSON bool
	c := &cobra.Command{
		Use:   "eval --gold FILE",
		Short: "Score the tagger against a labelled set (metrics of ../shared/eval/score.py)",
		Long: `Tags the text of every item of a labelled JSONL set (format of
../shared/eval/GUIDELINES.md) and prints sentiment accuracy and macro-F1,
per-topic F1 and macro-F1, topic-sentiment pair F1 and risk urgent
F1 / precision / recall, overall and per language.`,
		Example: `  vocal eval --gold ../shared/eval/dev.jsonl
  vocal eval --gold ../shared/eval/dev.jsonl --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if goldPath == "" {
				return usagef("eval needs --gold FILE")
			}
			cfg, err := g.load(cmd)
			if err != nil {
				return err
			}
			f, err := os.Open(goldPath)
			if err != nil {
				return usagef("--gold: %w", err)
			}
			gold, err := pipeline.ReadGold(f, goldPath)
			f.Close()
			if err != nil {
				return err
			}
			an, err := analyzer(cfg)
			if err != nil {
				return err
			}
			pred := map[string]*pipeline.Analysis{}
			var preds *os.File
			if predOut != "" {
				if preds, err = os.Create(predOut); err != nil {
					return err
				}
				defer preds.Close()
			}
			for _, item := range gold {
				a := an.Analyze(item.Text)
				pred[item.ID] = &a
				if preds != nil {
					b, err := pipeline.MarshalRecord(&pipeline.Record{ID: item.ID, Text: item.Text, Out: &a})
					if err != nil {
						return err
					}
					fmt.Fprintf(preds, "%s\n", b)
				}
			}
			report := map[string]map[string]float64{"all": pipeline.Metrics(gold, pred)}
			byLang := map[string][]pipeline.Gold{}
			for _, item := range gold {
				byLang[item.Lang] = append(byLang[item.Lang], item)
			}
			langs := []string{"zh", "en", "mixed"}
			for _, l := range langs {
				if len(byLang[l]) > 0 {
					report[l] = pipeline.Metrics(byLang[l], pred)
				}
			}
			if asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(report)
			}
			printReport(report, append([]string{"all"}, langs...))
			return nil
		},
	}
	c.Flags().StringVar(&goldPath, "gold", "", "labelled JSONL set")
	c.Flags().BoolVar(&asJSON, "json", false, "print metrics as JSON")
	c.Flags().StringVar(&predOut, "pred-out", "", "also write the predicted records (JSONL) to this file")
	return c
}

func printReport(report map[string]map[string]float64, groups []string) {
	all := report["all"]
	fmt.Printf("%-30s", "metric")
	for _, gname := range groups {
		if report[gname] != nil {
			fmt.Printf(" %8s", gname)
		}
	}
	fmt.Println()
	for _, k := range pipeline.MetricOrder(all) {
		fmt.Printf("%-30s", k)
		for _, gname := range groups {
			m := report[gname]
			if m == nil {
				continue
			}
			v, ok := m[k]
			switch {
			case !ok:
				fmt.Printf(" %8s", "-")
			case k == "n" || k == "missing_ids":
				fmt.Printf(" %8d", int(v))
			default:
				fmt.Printf(" %8.3f", v)
			}
		}
		fmt.Println()
	}
	fmt.Printf("summary sentiment_acc=%.3f topic_macro_f1=%.3f topic_sentiment_pair_f1=%.3f risk_urgent_f1=%.3f n=%d\n",
		all["sentiment_acc"], all["topic_macro_f1"], all["topic_sentiment_pair_f1"], all["risk_urgent_f1"], int(all["n"]))
}
