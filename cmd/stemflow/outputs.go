package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// outputs stages every file of a run in a hidden folder inside the output folder
// and moves them into place only when the whole run has succeeded, so that an error
// or an interrupt never leaves a half-written result under its final name: either
// a file is the complete result of this run, or it is whatever it was before.
type outputs struct {
	dir     string   // the --out folder
	created bool     // dir did not exist before
	stage   string   // dir/.stemflow-partial-*
	files   []string // paths relative to stage, in the order written
}

// newOutputs creates dir if needed and a staging folder inside it.
func newOutputs(dir string) (*outputs, error) {
	_, statErr := os.Stat(dir)
	created := os.IsNotExist(statErr)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	stage, err := os.MkdirTemp(dir, ".stemflow-partial-")
	if err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	return &outputs{dir: dir, created: created, stage: stage}, nil
}

// path returns the staging path for rel, creating its folder, and records rel.
func (o *outputs) path(rel string) (string, error) {
	p := filepath.Join(o.stage, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", fmt.Errorf("output %s: %w", rel, err)
	}
	o.files = append(o.files, rel)
	return p, nil
}

// commit moves every staged file to its final place and removes the staging folder.
// It returns the final paths, sorted.
func (o *outputs) commit() ([]string, error) {
	var done []string
	for _, rel := range o.files {
		dst := filepath.Join(o.dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return done, fmt.Errorf("output %s: %w", dst, err)
		}
		if err := os.Rename(filepath.Join(o.stage, rel), dst); err != nil {
			return done, fmt.Errorf("output %s: %w", dst, err)
		}
		done = append(done, dst)
	}
	sort.Strings(done)
	return done, os.RemoveAll(o.stage)
}

// abort removes the staging folder and everything in it, and the output folder
// itself when this run created it and it is empty.
func (o *outputs) abort() {
	os.RemoveAll(o.stage)
	if o.created {
		os.Remove(o.dir) // fails, as wanted, when not empty
	}
}
