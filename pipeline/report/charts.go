package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/vocal-dev/vocal/pipeline/rootcause"
)

// Colours of the aspect sentiments and of spikes.
var (
	sentColor = map[string]color.Color{
		"negative": color.RGBA{R: 0xd6, G: 0x45, B: 0x3d, A: 0xff},
		"neutral":  color.RGBA{R: 0x9e, G: 0x9e, B: 0x9e, A: 0xff},
		"positive": color.RGBA{R: 0x3a, G: 0x9d, B: 0x5d, A: 0xff},
	}
	spikeColor = color.RGBA{R: 0xe0, G: 0x1e, B: 0x5a, A: 0xff}
	palette    = []color.Color{
		color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
		color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
		color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff}, color.RGBA{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff},
		color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}, color.RGBA{R: 0xbc, G: 0xbd, B: 0x22, A: 0xff},
	}
)

// svgOf renders a plot as an inline <svg> element (no XML prolog).
func svgOf(p *plot.Plot, w, h vg.Length) (string, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return "", err
	}
	s := b.String()
	if i := strings.Index(s, "<svg"); i > 0 {
		s = s[i:]
	}
	return s, nil
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	return p
}

// sentimentBars is the topic x aspect sentiment mention counts (all groups).
func sentimentBars(rows []rootcause.DriverRow) (string, error) {
	var topics []string
	counts := map[string]map[string]float64{}
	for _, r := range rows {
		if r.Group != nil || r.Sentiment == "" {
			continue
		}
		if counts[r.Topic] == nil {
			counts[r.Topic] = map[string]float64{}
			topics = append(topics, r.Topic)
		}
		counts[r.Topic][r.Sentiment] = float64(r.Mentions)
	}
	if len(topics) == 0 {
		return "", nil
	}
	p := newPlot("Mentions by topic and aspect sentiment", "", "mentions")
	w := vg.Points(14)
	for i, s := range []string{"negative", "neutral", "positive"} {
		vals := make(plotter.Values, len(topics))
		for j, t := range topics {
			vals[j] = counts[t][s]
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return "", err
		}
		bars.Color = sentColor[s]
		bars.LineStyle.Width = 0
		bars.Offset = vg.Length(i-1) * w
		p.Add(bars)
		p.Legend.Add(s, bars)
	}
	p.Legend.Top = true
	p.NominalX(topics...)
	return svgOf(p, 16*vg.Centimeter, 8*vg.Centimeter)
}

// impactRow is one line of the impact chart.
type impactRow struct {
	label       string
	v, lo, hi   float64
	significant bool
}

// impactChart draws NPS impacts with their 95% intervals, most harmful at
// the top.
func impactChart(title string, rows []impactRow) (string, error) {
	if len(rows) == 0 {
		return "", nil
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].v > rows[j].v })
	p := newPlot(title, "NPS impact (points): NPS(all) - NPS(without the mentioners)", "")
	var pts, sig plotter.XYs
	var errs plotter.XErrors
	labels := make([]string, len(rows))
	for i, r := range rows {
		labels[i] = r.label
		pt := plotter.XY{X: r.v, Y: float64(i)}
		pts = append(pts, pt)
		if r.significant {
			sig = append(sig, pt)
		}
		errs = append(errs, struct{ Low, High float64 }{r.v - r.lo, r.hi - r.v})
	}
	eb := &plotter.XErrorBars{XYs: pts, XErrors: errs, LineStyle: plotter.DefaultLineStyle, CapWidth: vg.Points(6)}
	dots, err := plotter.NewScatter(pts)
	if err != nil {
		return "", err
	}
	dots.GlyphStyle.Shape = draw.CircleGlyph{}
	dots.GlyphStyle.Radius = vg.Points(3)
	zero, err := plotter.NewLine(plotter.XYs{{X: 0, Y: -0.5}, {X: 0, Y: float64(len(rows)) - 0.5}})
	if err != nil {
		return "", err
	}
	zero.LineStyle.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	p.Add(zero, eb, dots)
	if len(sig) > 0 {
		s, err := plotter.NewScatter(sig)
		if err != nil {
			return "", err
		}
		s.GlyphStyle.Shape = draw.CircleGlyph{}
		s.GlyphStyle.Radius = vg.Points(4)
		s.GlyphStyle.Color = sentColor["negative"]
		p.Add(s)
		p.Legend.Add("interval excludes 0", s)
		p.Legend.Top = true
	}
	p.NominalY(labels...)
	h := vg.Length(2.2+0.65*float64(len(rows))) * vg.Centimeter
	return svgOf(p, 16*vg.Centimeter, h)
}

// trendSeries is one line of a trends chart.
type trendSeries struct {
	label  string
	x, y   []float64 // period (Unix seconds), value
	spikes []bool
}

// trendChart draws lines over periods and marks the spikes.
func trendChart(title, ylabel string, series []trendSeries) (string, error) {
	if len(series) == 0 {
		return "", nil
	}
	p := newPlot(title, "", ylabel)
	p.X.Tick.Marker = plot.TimeTicks{Format: "2006-01-02"}
	var spikes plotter.XYs
	for i, s := range series {
		var xys plotter.XYs
		for j := range s.x {
			if math.IsNaN(s.y[j]) {
				continue
			}
			xys = append(xys, plotter.XY{X: s.x[j], Y: s.y[j]})
			if s.spikes[j] {
				spikes = append(spikes, plotter.XY{X: s.x[j], Y: s.y[j]})
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return "", err
		}
		c := palette[i%len(palette)]
		l.LineStyle.Color, l.LineStyle.Width = c, vg.Points(1.5)
		pts.GlyphStyle.Color, pts.GlyphStyle.Radius, pts.GlyphStyle.Shape = c, vg.Points(2), draw.CircleGlyph{}
		p.Add(l, pts)
		p.Legend.Add(s.label, l)
	}
	if len(spikes) > 0 {
		s, err := plotter.NewScatter(spikes)
		if err != nil {
			return "", err
		}
		s.GlyphStyle.Shape = draw.RingGlyph{}
		s.GlyphStyle.Radius = vg.Points(7)
		s.GlyphStyle.Color = spikeColor
		p.Add(s)
		p.Legend.Add("spike", s)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	return svgOf(p, 16*vg.Centimeter, 8*vg.Centimeter)
}

// groupLabel names a group of the --by dimensions.
func groupLabel(dims, group []string) string {
	if group == nil {
		return "all"
	}
	parts := make([]string, len(group))
	for i, g := range group {
		parts[i] = fmt.Sprintf("%s=%s", dims[i], g)
	}
	return strings.Join(parts, ",")
}
