package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// Manifest describes one run of `vocal run` (DESIGN.md): inputs, counts that
// reconcile (read = written + rejected), durations and versions.
type Manifest struct {
	RunID      string           `json:"run_id"`
	StartedAt  time.Time        `json:"started_at"`
	FinishedAt time.Time        `json:"finished_at"`
	DurationMS int64            `json:"duration_ms"`
	Inputs     []*InputStat     `json:"inputs"`
	Counts     Counts           `json:"counts"`
	Alerts     int64            `json:"alerts"`
	Partitions map[string]int64 `json:"partitions"`
	Files      []string         `json:"files"`
	Versions   Versions         `json:"versions"`
	Config     any              `json:"config,omitempty"`
	Aggregates any              `json:"aggregates,omitempty"` // root-cause tables: scores join counts (unmatched keys), rows (rootcause.Summary)

	// LLM holds the LLM assist's counters (llm.Counters) when it was on.
	LLM any `json:"llm,omitempty"`

	// Incremental says how vocal run read its inputs against the dataset.
	Incremental *IncrementalStats `json:"incremental,omitempty"`
}

// IncrementalStats is what an incremental run skipped and undid.
type IncrementalStats struct {
	Full       bool     `json:"full"`                  // --full: every input from the start, every record written
	Unchanged  int64    `json:"unchanged"`             // records skipped: the dataset (or an earlier record of the run) held their id with the same text, or their reject
	DatasetIDs int64    `json:"dataset_ids"`           // distinct ids in the dataset before the run
	IDsLoadMS  int64    `json:"ids_load_ms"`           // time to read them (id and text columns)
	RolledBack []string `json:"rolled_back,omitempty"` // runs killed before their commit, undone at the start
}

// Versions names the code and data that produced a run.
type Versions struct {
	Vocal    string `json:"vocal"`
	Lexicons string `json:"lexicons"`
	Taxonomy string `json:"taxonomy"`
	Models   string `json:"models"`
}

// WriteManifest writes runs/<run-id>.json, then manifest.json, each atomically.
func WriteManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if err := WriteFileAtomic(filepath.Join(dir, "runs", m.RunID+".json"), b); err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, "manifest.json"), b)
}

// WriteFileAtomic writes b to a temporary file, syncs it and renames it to path.
func WriteFileAtomic(path string, b []byte) error {
	tmp := tempName(path)
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
