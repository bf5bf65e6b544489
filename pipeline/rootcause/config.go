package rootcause

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config says how the aggregate tables are computed. It is the `rootcause`
// section of the vocal configuration file.
type Config struct {
	JoinKey   string      `yaml:"join_key"` // field joining a scores file to the records: id or a passthrough field
	Fields    ScoreFields `yaml:"fields"`   // names of the score fields, inline and in a scores file
	By        []string    `yaml:"by"`       // dimensions grouping the tables (passthrough fields)
	Period    string      `yaml:"period"`   // trends period: day, week (ISO, from Monday) or month
	Window    string      `yaml:"window"`   // only records this recent (90d, 12w, 2160h); empty: all
	TimeField string      `yaml:"-"`        // record time for periods and the window (the top-level time_field)
	Spike     SpikeConfig `yaml:"spike"`
}

// ScoreFields names the score fields: CSAT (1-5), NPS (0-10), CES (1-7).
type ScoreFields struct {
	CSAT string `yaml:"csat"`
	NPS  string `yaml:"nps"`
	CES  string `yaml:"ces"`
}

// SpikeConfig sets the trailing band of the trends table: a value is a spike
// when it lies more than SD times sqrt(s² + se²) from the mean of up to
// Lookback previous periods, s being their standard deviation and se the
// value's own standard error, and at least MinHistory of them have a value.
type SpikeConfig struct {
	Lookback   int     `yaml:"lookback"`
	MinHistory int     `yaml:"min_history"`
	SD         float64 `yaml:"sd"`
}

// DefaultConfig returns every default.
func DefaultConfig() Config {
	return Config{
		JoinKey:   "id",
		Fields:    ScoreFields{CSAT: "csat", NPS: "nps", CES: "ces"},
		Period:    "week",
		TimeField: "created_at",
		Spike:     SpikeConfig{Lookback: 8, MinHistory: 3, SD: 3},
	}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.JoinKey == "" {
		return fmt.Errorf("join_key: empty")
	}
	names := map[string]string{}
	for _, f := range []struct{ what, name string }{{"csat", c.Fields.CSAT}, {"nps", c.Fields.NPS}, {"ces", c.Fields.CES}} {
		if f.name == "" {
			return fmt.Errorf("score field %s: empty name", f.what)
		}
		if other, dup := names[f.name]; dup {
			return fmt.Errorf("score fields %s and %s: both named %q", other, f.what, f.name)
		}
		names[f.name] = f.what
	}
	if _, clash := names[c.JoinKey]; clash || c.JoinKey == "csat" || c.JoinKey == "nps" || c.JoinKey == "ces" {
		return fmt.Errorf("join_key %q: a score field has that name", c.JoinKey)
	}
	seen := map[string]bool{}
	for _, d := range c.By {
		if d == "" || seen[d] {
			return fmt.Errorf("by %q: empty or repeated dimension", d)
		}
		if reservedColumn[d] {
			return fmt.Errorf("by %q: a table column has that name", d)
		}
		seen[d] = true
	}
	if _, err := periodStart(c.Period); err != nil {
		return err
	}
	if _, err := ParseWindow(c.Window); err != nil {
		return err
	}
	if c.TimeField == "" {
		return fmt.Errorf("time_field: empty")
	}
	if c.Spike.Lookback < 1 || c.Spike.MinHistory < 1 || c.Spike.MinHistory > c.Spike.Lookback || c.Spike.SD <= 0 {
		return fmt.Errorf("spike: lookback %d, min_history %d, sd %v: want 1 <= min_history <= lookback and sd > 0",
			c.Spike.Lookback, c.Spike.MinHistory, c.Spike.SD)
	}
	return nil
}

// reservedColumn holds the aggregate columns a dimension must not shadow.
var reservedColumn = map[string]bool{"topic": true, "sentiment": true, "period": true, "term": true, "score_field": true}

// ParseWindow parses a window such as 90d, 12w or a Go duration (2160h); the
// empty string is no window (0).
func ParseWindow(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	unit := time.Duration(0)
	switch {
	case strings.HasSuffix(s, "d"):
		unit = 24 * time.Hour
	case strings.HasSuffix(s, "w"):
		unit = 7 * 24 * time.Hour
	}
	if unit != 0 {
		n, err := strconv.Atoi(s[:len(s)-1])
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("window %q: want a positive count of days (90d), weeks (12w) or a duration (2160h)", s)
		}
		return time.Duration(n) * unit, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("window %q: want a positive count of days (90d), weeks (12w) or a duration (2160h)", s)
	}
	return d, nil
}

// periodStart returns the function mapping a time to the start of its period.
func periodStart(period string) (func(time.Time) time.Time, error) {
	switch period {
	case "day":
		return func(t time.Time) time.Time {
			t = t.UTC()
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		}, nil
	case "week":
		return func(t time.Time) time.Time {
			t = t.UTC()
			d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
		}, nil
	case "month":
		return func(t time.Time) time.Time {
			t = t.UTC()
			return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		}, nil
	}
	return nil, fmt.Errorf("period %q: want day, week or month", period)
}

// nextPeriod returns the start of the period after the one starting at t.
func nextPeriod(period string, t time.Time) time.Time {
	switch period {
	case "day":
		return t.AddDate(0, 0, 1)
	case "week":
		return t.AddDate(0, 0, 7)
	}
	return t.AddDate(0, 1, 0)
}
