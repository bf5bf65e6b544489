// Package lexicons holds vocal's authored word lists and taxonomy as data, with
// their loaders. The defaults are embedded with go:embed; any file can be
// overridden from a directory with the same file name:
//
//	set, err := lexicons.Load(os.DirFS("my-lexicons")) // missing files fall back to the embedded ones
//	if err != nil { ... }
//	fmt.Println(set.Version, len(set.Sentiment))
//
// Every file starts with '#' header lines stating who wrote it and how.
// Loaders return errors naming the file and line; they never panic or log.
package lexicons
