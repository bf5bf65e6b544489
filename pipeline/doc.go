// Package pipeline runs the tagger over streams of feedback records: sources
// (JSONL, CSV in UTF-8 or GBK/GB18030), the tag stage, and sinks (JSONL,
// rejects, the Arrow/Parquet dataset with alerts and a manifest).
//
// Batch is streaming with a finite source: Run reads records, tags them on a
// bounded pool of workers and hands them to the sink in input order.
// Per-record failures are data: a rejected record carries Err and flows to the
// sink like any other, so counts reconcile (read = written + rejected).
//
//	an, _ := pipeline.NewAnalyzer(set)
//	src, _ := pipeline.OpenInputs([]string{"feedback.csv"}, pipeline.DefaultInputConfig())
//	counts, err := pipeline.Run(ctx, src, an, pipeline.NewJSONLSink(os.Stdout, os.Stderr), pipeline.RunOptions{})
package pipeline
