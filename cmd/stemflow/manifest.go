package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// manifestName is the manifest every run writes into its output folder.
const manifestName = "stemflow-run.json"

// manifest says what an output folder holds: one entry per run whose folders are
// still there, newest first. A run replaces whole spec folders, so an older run's
// entry keeps only the folders no later run replaced, and goes when none is left.
type manifest struct {
	Runs []manifestRun `json:"runs"`
}

// manifestRun is one run: the stemflow version, when it ended, the input file, the
// command line (without the program name) and its folders.
type manifestRun struct {
	Version string           `json:"version"`
	Time    string           `json:"time"`
	Input   string           `json:"input"`
	Args    []string         `json:"args"`
	Folders []manifestFolder `json:"folders"`
}

// manifestFolder is one spec folder: the --udf spec and its files, relative to the
// output folder.
type manifestFolder struct {
	Folder string   `json:"folder"`
	UDF    string   `json:"udf"`
	Files  []string `json:"files"`
}

// newManifest merges this run (files[i] are spec i's staged files) into the
// manifest found in dir, if any. A manifest that cannot be read is replaced.
func newManifest(dir, input string, args []string, specs []udfSpec, files [][]string) (*manifest, error) {
	run := manifestRun{
		Version: versionString(),
		Time:    time.Now().UTC().Format(time.RFC3339),
		Input:   absPath(input),
		Args:    args,
	}
	replaced := map[string]bool{}
	for i, s := range specs {
		run.Folders = append(run.Folders, manifestFolder{Folder: s.Dir, UDF: s.Text, Files: files[i]})
		replaced[s.Dir] = true
	}
	m := &manifest{Runs: []manifestRun{run}}
	old, err := readManifest(filepath.Join(dir, manifestName))
	if err != nil {
		return m, nil
	}
	for _, r := range old.Runs {
		r.Folders = slices.DeleteFunc(r.Folders, func(f manifestFolder) bool { return replaced[f.Folder] })
		if len(r.Folders) > 0 {
			m.Runs = append(m.Runs, r)
		}
	}
	return m, nil
}

func readManifest(path string) (*manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("manifest %s: %w", path, err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", path, err)
	}
	return &m, nil
}

// write stages the manifest in out.
func (m *manifest) write(out *outputs) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	p, err := out.path(manifestName)
	if err != nil {
		return err
	}
	return os.WriteFile(p, append(b, '\n'), 0o644)
}

// absPath returns path as an absolute path when it can, else as given.
func absPath(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}
