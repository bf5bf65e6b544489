// Package rootcause joins the tagged records of a dataset to CSAT, NPS and
// CES scores and explains the scores by topic: the drivers table (mentions,
// NPS of mentioners, NPS impact with a 95% interval, CSAT and CES of
// mentioners vs others), the trends table (per period, with spikes flagged
// against a trailing band) and the key_drivers table (least squares of each
// score on topic x aspect sentiment indicators), as Arrow and Parquet files
// beside the records (DESIGN.md, aggregate tables).
//
// Scores come inline in the records (fields csat, nps, ces by default) or
// from a scores file joined by a key; each run's scores file is kept as
// scores/part-<run-id>.parquet so that every recomputation sees it.
//
//	sc, err := rootcause.ReadScores("scores.csv", cfg)        // before tagging: bad files fail early
//	sum, err := rootcause.Update(ctx, "out", runID, sc, cfg)   // after the records are committed
//	tables, err := rootcause.LoadTables("out")
//
// Definitions: NPS = % promoters (9-10) − % detractors (0-6), in points;
// CSAT 4-5 share = % of answers 4 or 5 (csat_pct_*), beside the mean;
// NPS impact = NPS(all) − NPS(all without the mentioners), 95% interval by
// the delta method on the trinomial (one pseudo-count per class); mean
// intervals are Student t.
package rootcause
