package main

import (
	"github.com/spf13/cobra"

	"github.com/vocal-dev/vocal/pipeline/rootcause"
)

// addRootCauseFlags registers the flags of the aggregate tables on run; they
// override the rootcause section of the config file.
func addRootCauseFlags(c *cobra.Command, g *globalOptions, scores *string) {
	f := c.Flags()
	d := rootcause.DefaultConfig()
	rc := &g.cfg.RootCause
	f.StringVar(scores, "scores", "", "scores file (CSV, JSONL or Parquet) joined to the records by --join-key")
	f.StringVar(&rc.JoinKey, "join-key", d.JoinKey, "field joining the scores file to the records: id or a passthrough field")
	f.StringSliceVar(&rc.By, "by", nil, "dimensions grouping the drivers, trends and key_drivers tables (e.g. region,product)")
	f.StringVar(&rc.Period, "period", d.Period, "trends period: day, week or month")
	f.StringVar(&rc.Window, "window", "", "tables cover only records this recent (90d, 12w, 2160h); default all")
	f.StringVar(&rc.Fields.CSAT, "csat-field", d.Fields.CSAT, "field holding CSAT (1-5)")
	f.StringVar(&rc.Fields.NPS, "nps-field", d.Fields.NPS, "field holding the NPS answer (0-10)")
	f.StringVar(&rc.Fields.CES, "ces-field", d.Fields.CES, "field holding CES (1-7)")
}

// setRootCauseFlags copies the flags that were set over the config file's values.
func setRootCauseFlags(set func(string, func()), cfg *rootcause.Config, flags rootcause.Config) {
	set("join-key", func() { cfg.JoinKey = flags.JoinKey })
	set("by", func() { cfg.By = flags.By })
	set("period", func() { cfg.Period = flags.Period })
	set("window", func() { cfg.Window = flags.Window })
	set("csat-field", func() { cfg.Fields.CSAT = flags.Fields.CSAT })
	set("nps-field", func() { cfg.Fields.NPS = flags.Fields.NPS })
	set("ces-field", func() { cfg.Fields.CES = flags.Fields.CES })
}
