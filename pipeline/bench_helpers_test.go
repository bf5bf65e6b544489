package pipeline_test

import (
	"testing"

	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/segment/segmenttest"
)

// benchMustAnalyzer is the analyzer shared by every test of the binary:
// loading the gse dictionary takes 1-2 s.
func benchMustAnalyzer(tb testing.TB) *pipeline.Analyzer { return pipeline.RealAnalyzer(tb) }

// benchLines reads one of the team's benchmark corpora.
func benchLines(tb testing.TB, name string) ([]string, int64) { return segmenttest.Corpus(tb, name) }
