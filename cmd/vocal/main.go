// Command vocal tags customer feedback in Chinese, English and mixed text with
// sentiment, topics and risk flags, and writes JSONL, Arrow and Parquet.
//
// Exit codes: 0 success; 1 runtime failure; 2 usage error.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// usageError marks errors that exit with code 2.
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func main() {
	root := newRoot()
	err := root.Execute()
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "vocal:", err)
	var ue usageError
	// cobra reports an unknown subcommand as a plain error.
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command ") {
		os.Exit(2)
	}
	os.Exit(1)
}

func newRoot() *cobra.Command {
	opts := &globalOptions{}
	root := &cobra.Command{
		Use:           "vocal",
		Short:         "Tag customer feedback (zh, en, mixed) with sentiment, topics and risk",
		Long:          "vocal turns open-ended customer feedback and social comments into tagged, searchable, joinable data.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	opts.register(root)
	root.AddCommand(newTagCmd(opts), newRunCmd(opts), newEvalCmd(opts), newTrainCmd(), newStreamCmd(opts), newReportCmd(), newSearchCmd(), newIndexCmd(),
		newSummarizeCmd(opts))
	return root
}
