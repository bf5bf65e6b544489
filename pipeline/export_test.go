package pipeline

// RealAnalyzer gives the external tests (package pipeline_test) the analyzer
// the internal tests share, so one test binary loads the dictionary once.
var RealAnalyzer = realAnalyzer

// LexiconAnalyzer is RealAnalyzer without models.
var LexiconAnalyzer = lexiconAnalyzer
