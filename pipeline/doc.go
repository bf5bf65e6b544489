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
//
// A run into a dataset directory is incremental and crash-safe: BeginRun
// locks the directory and undoes a run killed before its commit, the inputs
// read on from the state and skip what the dataset holds, and Commit writes
// the run's manifest, which commits it:
//
//	dr, _ := pipeline.BeginRun(dir, runID, time.Now())
//	defer dr.Close() // undoes the run unless committed
//	seen, _ := pipeline.LoadSeenIndex(ctx, dir)
//	src, _ := pipeline.OpenInputs(paths, cfg, pipeline.WithResume(dr.State.Inputs, false),
//		pipeline.WithSkip(pipeline.SkipUnchanged(seen, nil)))
//	sink, _ := pipeline.NewDatasetSink(pipeline.DatasetConfig{Dir: dir, RunID: runID})
//	counts, err := pipeline.Run(ctx, src, an, sink, pipeline.RunOptions{})
//	// sink.Close(), then dr.Commit(&pipeline.Manifest{RunID: runID, Inputs: src.Stats, ...})
package pipeline
