package web

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/stemflow/stemflow/dataset"
)

// ErrOutside reports a path that leaves the served folder (by "..", an absolute
// path or a symlink).
var ErrOutside = errors.New("path outside the served folder")

// Listing limits: the walk stops after this many entries or this depth.
const (
	maxListEntries = 5000
	maxListDepth   = 6
)

// root is the served folder, absolute with symlinks resolved.
type root string

func newRoot(dir string) (root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("served folder %q: %w", dir, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("served folder %q: %w", dir, err)
	}
	st, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("served folder %q: %w", dir, err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("served folder %q: not a directory", dir)
	}
	return root(real), nil
}

// contains reports whether the absolute, symlink-free path p is r or below it.
func (r root) contains(p string) bool {
	rel, err := filepath.Rel(string(r), p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// resolve turns a slash-separated path relative to r into an absolute path with
// symlinks resolved, refusing (ErrOutside) anything that is absolute, climbs out
// with "..", or resolves through a symlink to a place outside r.
func (r root) resolve(rel string) (string, error) {
	if rel == "" || strings.ContainsRune(rel, 0) {
		return "", fmt.Errorf("path %q: %w", rel, ErrOutside)
	}
	if filepath.IsAbs(rel) || strings.HasPrefix(rel, "/") || strings.HasPrefix(rel, `\`) {
		return "", fmt.Errorf("path %q is absolute: %w", rel, ErrOutside)
	}
	local := filepath.FromSlash(rel)
	if !filepath.IsLocal(local) {
		return "", fmt.Errorf("path %q: %w", rel, ErrOutside)
	}
	real, err := filepath.EvalSymlinks(filepath.Join(string(r), local))
	if err != nil {
		return "", fmt.Errorf("path %q: %w", rel, err)
	}
	if !r.contains(real) {
		return "", fmt.Errorf("path %q resolves to a place outside: %w", rel, ErrOutside)
	}
	return real, nil
}

// checkFiles refuses a dataset that reads a file outside r (a descriptor or a
// header may name other files).
func (r root) checkFiles(info dataset.Info) error {
	files := append([]string{info.Path}, info.Files...)
	for _, f := range files {
		if f == "" {
			continue
		}
		abs, err := filepath.Abs(f)
		if err != nil {
			return fmt.Errorf("dataset file %q: %w", f, err)
		}
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return fmt.Errorf("dataset file %q: %w", f, err)
		}
		if !r.contains(real) {
			return fmt.Errorf("dataset file %q: %w", f, ErrOutside)
		}
	}
	return nil
}

// listEntry is one file of the served folder that stemflow can read.
type listEntry struct {
	Path   string `json:"path"`   // slash-separated, relative to the served folder
	Format string `json:"format"` // detected format name
	Size   int64  `json:"size"`   // bytes
}

// list walks r and returns every regular file (or symlink to one inside r) whose
// format dataset.DetectFormat recognises, sorted by path. Hidden entries are
// skipped; the walk is bounded in depth and entries.
func (r root) list() ([]listEntry, error) {
	var out []listEntry
	seen := 0
	err := filepath.WalkDir(string(r), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == string(r) {
				return err
			}
			return nil // unreadable entries are left out
		}
		if seen++; seen > maxListEntries {
			return filepath.SkipAll
		}
		rel, rerr := filepath.Rel(string(r), p)
		if rerr != nil || rel == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if strings.Count(rel, string(filepath.Separator)) >= maxListDepth {
				return filepath.SkipDir
			}
			return nil
		}
		real := p
		if d.Type()&fs.ModeSymlink != 0 {
			if real, err = filepath.EvalSymlinks(p); err != nil || !r.contains(real) {
				return nil
			}
		}
		st, err := os.Stat(real)
		if err != nil || !st.Mode().IsRegular() {
			return nil
		}
		format, err := dataset.DetectFormat(real)
		if err != nil {
			return nil
		}
		out = append(out, listEntry{Path: filepath.ToSlash(rel), Format: format, Size: st.Size()})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, err
}
