package index

import (
	"context"
	"fmt"
	"os"

	"github.com/vocal-dev/vocal/pipeline"
)

// Rebuild builds the index in dir afresh from the record Parquet files of
// the dataset datasetDir (a later run's record replacing an earlier one) and
// returns the number of records indexed. It builds beside dir and swaps the
// new index in only when complete, so a failed rebuild leaves dir as it was;
// it fails with ErrLocked while another process holds dir.
func Rebuild(ctx context.Context, datasetDir, dir string, batchSize int) (int64, error) {
	if Exists(dir) {
		idx, err := Open(dir)
		if err != nil {
			return 0, err
		}
		idx.Close()
	}
	tmp := fmt.Sprintf("%s.rebuild-%d", dir, os.Getpid())
	if err := os.RemoveAll(tmp); err != nil {
		return 0, err
	}
	idx, err := Open(tmp)
	if err != nil {
		return 0, err
	}
	sink, err := NewSink(idx, batchSize)
	if err != nil {
		os.RemoveAll(tmp)
		return 0, err
	}
	err = pipeline.ReadRecords(ctx, datasetDir, func(r *pipeline.Record) error { return sink.Write(ctx, r) })
	if cerr := sink.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.RemoveAll(tmp)
		return 0, err
	}
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil && !os.IsNotExist(err) {
		os.RemoveAll(tmp)
		return 0, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return 0, err
	}
	return sink.Indexed(), os.RemoveAll(old)
}
