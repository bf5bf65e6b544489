package report

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/pipeline/rootcause"
)

// Options sizes a report.
type Options struct {
	Title    string // page title; default "vocal report: <dir>"
	Evidence int    // negative snippets per topic (default 5)
	Risks    int    // rows of the risk table (default 50)
	Spikes   int    // spiking series charted on their own (default 6)
}

func (o *Options) defaults(dir string) {
	if o.Title == "" {
		o.Title = "vocal report: " + filepath.Base(filepath.Clean(dir))
	}
	if o.Evidence <= 0 {
		o.Evidence = 5
	}
	if o.Risks <= 0 {
		o.Risks = 50
	}
	if o.Spikes <= 0 {
		o.Spikes = 6
	}
}

//go:embed report.html.tmpl
var pageTemplate string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"num":   func(x float64) string { return fmtNum(x, 1) },
	"num2":  func(x float64) string { return fmtNum(x, 2) },
	"pct":   func(x float64) string { return fmtNum(100*x, 1) + "%" },
	"pval":  fmtP,
	"label": func(dims, g []string) string { return groupLabel(dims, g) },
}).Parse(pageTemplate))

func fmtNum(x float64, prec int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return fmt.Sprintf("%.*f", prec, x)
}

func fmtP(p float64) string {
	switch {
	case math.IsNaN(p):
		return "–"
	case p < 0.001:
		return "<0.001"
	}
	return fmt.Sprintf("%.3f", p)
}

// chart is a titled inline SVG.
type chart struct {
	Title string
	SVG   template.HTML
}

// view is what the template shows.
type view struct {
	Title      string
	Dir        string
	Manifest   *pipeline.Manifest
	Summary    *rootcause.Summary
	Dims       []string
	Overall    *rootcause.DriverRow // first topic row of all responses, for NPS of all
	Charts     []chart
	Drivers    []rootcause.DriverRow
	KeyDrivers []rootcause.KeyDriverRow
	Spikes     []rootcause.TrendRow
	Evidence   []topicEvidence
	Risks      []Snippet
}

type topicEvidence struct {
	Topic    string
	Snippets []Snippet
}

// Write renders the report of the dataset dir (its drivers, trends and
// key_drivers tables, its records and manifest) as one self-contained HTML
// page: charts are inline SVG drawn with gonum/plot, styles are inline, and
// nothing is loaded from elsewhere.
func Write(ctx context.Context, w io.Writer, dir string, opt Options) error {
	opt.defaults(dir)
	t, err := rootcause.LoadTables(dir)
	if err != nil {
		return fmt.Errorf("tables (run `vocal run` on the dataset first): %w", err)
	}
	v := &view{Title: opt.Title, Dir: dir, Dims: t.Dims}
	if b, err := os.ReadFile(filepath.Join(dir, "manifest.json")); err == nil {
		var m pipeline.Manifest
		if json.Unmarshal(b, &m) == nil {
			v.Manifest = &m
			if raw, err := json.Marshal(m.Aggregates); err == nil {
				var s rootcause.Summary
				if json.Unmarshal(raw, &s) == nil && s.Rows != nil {
					v.Summary = &s
				}
			}
		}
	}
	for i, r := range t.Drivers {
		if r.Group == nil && r.Sentiment == "" {
			v.Drivers = append(v.Drivers, r)
			if v.Overall == nil {
				v.Overall = &t.Drivers[i]
			}
		}
	}
	for _, k := range t.KeyDrivers {
		if k.Group == nil && k.ScoreField == "nps" {
			v.KeyDrivers = append(v.KeyDrivers, k)
		}
	}
	if err := v.charts(t, opt); err != nil {
		return err
	}
	ev := &evidence{perTopic: opt.Evidence, risks: opt.Risks, neg: map[string][]Snippet{}}
	if err := ev.load(ctx, dir); err != nil {
		return err
	}
	var topics []string
	for tp := range ev.neg {
		topics = append(topics, tp)
	}
	sort.Strings(topics)
	for _, tp := range topics {
		v.Evidence = append(v.Evidence, topicEvidence{tp, ev.neg[tp]})
	}
	v.Risks = ev.risk
	return page.Execute(w, v)
}

func (v *view) add(title, svg string, err error) error {
	if err != nil {
		return fmt.Errorf("chart %q: %w", title, err)
	}
	if svg != "" {
		v.Charts = append(v.Charts, chart{title, template.HTML(svg)})
	}
	return nil
}

func (v *view) charts(t *rootcause.Tables, opt Options) error {
	svg, err := sentimentBars(t.Drivers)
	if err := v.add("Topics by aspect sentiment", svg, err); err != nil {
		return err
	}
	var overall, grouped []impactRow
	for _, r := range t.Drivers {
		if r.Sentiment != "" || math.IsNaN(r.NPSImpact) {
			continue
		}
		row := impactRow{label: r.Topic, v: r.NPSImpact, lo: r.NPSImpactLo, hi: r.NPSImpactHi, significant: r.Significant}
		if r.Group == nil {
			overall = append(overall, row)
		} else {
			row.label = r.Topic + " · " + groupLabel(t.Dims, r.Group)
			grouped = append(grouped, row)
		}
	}
	svg, err = impactChart("NPS impact by topic, 95% interval (all responses)", overall)
	if err := v.add("Driver impact", svg, err); err != nil {
		return err
	}
	if len(grouped) > 0 {
		// The most harmful and the most helpful groups, up to 16.
		sort.SliceStable(grouped, func(i, j int) bool { return math.Abs(grouped[i].v) > math.Abs(grouped[j].v) })
		grouped = grouped[:min(len(grouped), 16)]
		svg, err = impactChart("NPS impact by topic and group, 95% interval (largest 16)", grouped)
		if err := v.add("Driver impact by group", svg, err); err != nil {
			return err
		}
	}
	// Trends of all responses, per topic; then the series that spiked.
	series := map[string]*trendSeries{}
	var order []string
	spiking := map[string]bool{}
	var spikeOrder []string
	for _, r := range t.Trends {
		key := groupLabel(t.Dims, r.Group) + "\x00" + r.Topic
		s, ok := series[key]
		if !ok {
			label := r.Topic
			if label == "" {
				label = "all responses"
			}
			if r.Group != nil {
				label += " · " + groupLabel(t.Dims, r.Group)
			}
			s = &trendSeries{label: label}
			series[key] = s
			order = append(order, key)
		}
		s.x = append(s.x, float64(r.Period.Unix()))
		s.y = append(s.y, r.NPS)
		s.spikes = append(s.spikes, r.Spike && strings.Contains(r.SpikeMetric, "nps"))
		if r.Spike {
			v.Spikes = append(v.Spikes, r)
			if r.Group != nil && !spiking[key] {
				spiking[key] = true
				spikeOrder = append(spikeOrder, key)
			}
		}
	}
	var all []trendSeries
	for _, k := range order {
		if strings.HasPrefix(k, "all\x00") {
			all = append(all, *series[k])
		}
	}
	svg, err = trendChart("NPS of mentioners by period (all responses; rings mark NPS spikes)", "NPS", all)
	if err := v.add("Trends", svg, err); err != nil {
		return err
	}
	for _, k := range spikeOrder[:min(len(spikeOrder), opt.Spikes)] {
		s := *series[k]
		svg, err = trendChart("NPS of "+s.label+" (rings mark NPS spikes)", "NPS", []trendSeries{s})
		if err := v.add("Spike: "+s.label, svg, err); err != nil {
			return err
		}
	}
	return nil
}
