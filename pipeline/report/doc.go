// Package report renders `vocal report`: one self-contained HTML page of a
// dataset's root-cause tables (drivers, trends, key_drivers) with charts
// drawn as inline SVG by gonum/plot, the most negative evidence per topic
// with its span highlighted, and the risk hits. The page loads nothing from
// elsewhere and runs no script, so it opens offline and can be mailed.
//
//	f, _ := os.Create("report.html")
//	err := report.Write(ctx, f, "out/dataset", report.Options{})
package report
