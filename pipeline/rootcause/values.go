package rootcause

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/vocal-dev/vocal/pipeline"
)

// score indices.
const (
	sCSAT = iota
	sNPS
	sCES
	nScores
)

var scoreNames = [nScores]string{"csat", "nps", "ces"}

// scoreRange is the valid range of each score.
var scoreRange = [nScores][2]float64{{1, 5}, {0, 10}, {1, 7}}

func (f ScoreFields) names() [nScores]string { return [nScores]string{f.CSAT, f.NPS, f.CES} }

// noScores is a score triple with every score absent.
func noScores() [nScores]float64 { return [nScores]float64{math.NaN(), math.NaN(), math.NaN()} }

// validScore reports whether x is a valid value of score s.
func validScore(s int, x float64) bool {
	return !math.IsNaN(x) && x >= scoreRange[s][0] && x <= scoreRange[s][1]
}

// parseNumber reads a number written as a JSON number or a numeric string.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	x, err := strconv.ParseFloat(s, 64)
	return x, err == nil && !math.IsInf(x, 0) && !math.IsNaN(x)
}

// jsonScalar renders a raw JSON value as text: strings unquoted, numbers and
// booleans as written; null and absent values are absent.
func jsonScalar(v json.RawMessage) (string, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return "", false
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "", false
		}
		return s, true
	}
	return string(v), true
}

// cellString renders row i of a column as text (the join key and dimension
// values); false when null or of a type without a text form.
func cellString(a arrow.Array, i int) (string, bool) {
	if a.IsNull(i) {
		return "", false
	}
	switch c := a.(type) {
	case *array.String:
		return c.Value(i), true
	case *array.LargeString:
		return c.Value(i), true
	case *array.Int64:
		return strconv.FormatInt(c.Value(i), 10), true
	case *array.Int32:
		return strconv.FormatInt(int64(c.Value(i)), 10), true
	case *array.Float64:
		return strconv.FormatFloat(c.Value(i), 'g', -1, 64), true
	case *array.Boolean:
		return strconv.FormatBool(c.Value(i)), true
	case *array.Timestamp:
		unit := c.DataType().(*arrow.TimestampType).Unit
		return c.Value(i).ToTime(unit).UTC().Format(time.RFC3339Nano), true
	}
	return "", false
}

// cellNumber reads row i of a column as a number (scores).
func cellNumber(a arrow.Array, i int) (float64, bool) {
	if a.IsNull(i) {
		return 0, false
	}
	switch c := a.(type) {
	case *array.Int64:
		return float64(c.Value(i)), true
	case *array.Int32:
		return float64(c.Value(i)), true
	case *array.Float64:
		return c.Value(i), true
	case *array.Float32:
		return float64(c.Value(i)), true
	case *array.String:
		return parseNumber(c.Value(i))
	case *array.LargeString:
		return parseNumber(c.Value(i))
	}
	return 0, false
}

// cellTime reads row i of a column as a time: a timestamp, or a string in a
// form pipeline.ParseTime accepts.
func cellTime(a arrow.Array, i int) (time.Time, bool) {
	if a.IsNull(i) {
		return time.Time{}, false
	}
	switch c := a.(type) {
	case *array.Timestamp:
		unit := c.DataType().(*arrow.TimestampType).Unit
		return c.Value(i).ToTime(unit), true
	case *array.String:
		return pipeline.ParseTime(c.Value(i))
	case *array.LargeString:
		return pipeline.ParseTime(c.Value(i))
	}
	return time.Time{}, false
}
