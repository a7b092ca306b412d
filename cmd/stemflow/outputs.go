package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Hidden names the CLI keeps inside an output folder.
const (
	partialPrefix = ".stemflow-partial-" // staging folder of a run: .stemflow-partial-p<pid>-<random>
	replacedName  = ".replaced"          // inside the staging folder: what a commit replaced
)

// rename is os.Rename; tests replace it to make a commit fail part-way.
var rename = os.Rename

// outputs stages every file of a run in a hidden folder inside the output folder
// and moves them into place only when the whole run has succeeded. The unit of
// replacement is a top-level entry of the staging folder (a spec folder such as
// sum/ or com-2/, and the manifest): an existing entry of that name is replaced as a
// whole, so no stale file of an earlier run stays beside new ones, and entries of
// earlier runs with other names are kept. Either the commit replaces every entry,
// or (on an error part-way) everything it moved is moved back: the folder never
// mixes two runs inside one spec folder or across the specs of one run.
//
// The output folder is locked (flock on the folder) from openOutputs until close, so
// two runs into the same folder cannot interleave; staging folders left by runs that
// died (SIGKILL, power loss) are removed by the next run that takes the lock.
type outputs struct {
	dir     string // the --out folder
	created bool   // dir did not exist before
	lock    *os.File
	stage   string // dir/.stemflow-partial-*

	mu    sync.Mutex
	files []string // paths relative to stage, in the order requested
}

// checkOutDir validates an --out folder without changing anything: it must be a
// non-empty path that is a folder or does not exist yet (a dangling symbolic link is
// neither).
func checkOutDir(dir string) error {
	if strings.TrimSpace(dir) == "" {
		return usagef("--out is empty; give an output folder, e.g. --out stemflow-out")
	}
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("--out %s: %w", dir, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(dir)
		st, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("--out %s is a symbolic link to %q, which does not exist; create the folder it points to or choose another --out", dir, target)
		}
		fi = st
	}
	if !fi.IsDir() {
		return fmt.Errorf("--out %s exists and is not a folder", dir)
	}
	return nil
}

// openOutputs checks dir, creates it if needed, locks it, removes staging folders of
// dead runs and makes this run's staging folder.
func openOutputs(dir string) (*outputs, error) {
	if err := checkOutDir(dir); err != nil {
		return nil, err
	}
	_, statErr := os.Stat(dir)
	created := errors.Is(statErr, fs.ErrNotExist)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--out %s: cannot create the folder: %w", dir, err)
	}
	o := &outputs{dir: dir, created: created}
	lock, err := lockDir(dir)
	if err != nil {
		o.removeCreated()
		return nil, err
	}
	o.lock = lock
	removeStale(dir)
	stage, err := os.MkdirTemp(dir, partialPrefix+"p"+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		o.close()
		o.removeCreated()
		return nil, fmt.Errorf("--out %s: %w", dir, err)
	}
	o.stage = stage
	return o, nil
}

// removeStale removes the staging folders of runs that are not alive. The caller
// holds the folder's lock, which every live run holds until it ends, so any staging
// folder found is a dead run's; as a second guard (file systems without locks) a
// folder whose name carries the pid of a live process other than this one is kept.
func removeStale(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, partialPrefix) {
			continue
		}
		rest := strings.TrimPrefix(name, partialPrefix)
		if p, _, ok := strings.Cut(rest, "-"); ok && strings.HasPrefix(p, "p") {
			if pid, err := strconv.Atoi(p[1:]); err == nil && pid != os.Getpid() && processAlive(pid) {
				continue
			}
		}
		os.RemoveAll(filepath.Join(dir, name))
	}
}

// checkTargets returns an error when an entry the run will write (a spec folder, or
// a file such as the manifest when the name has an extension) exists with the wrong
// type. It runs before any data is read, and commit checks again.
func (o *outputs) checkTargets(dirs, files []string) error {
	for _, d := range dirs {
		if err := checkTarget(filepath.Join(o.dir, d), true); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := checkTarget(filepath.Join(o.dir, f), false); err != nil {
			return err
		}
	}
	return nil
}

func checkTarget(dst string, dir bool) error {
	fi, err := os.Lstat(dst)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("output %s: %w", dst, err)
	case dir && !fi.IsDir():
		return fmt.Errorf("output %s exists and is not a folder; move it away or choose another --out (nothing was written)", dst)
	case !dir && !fi.Mode().IsRegular():
		return fmt.Errorf("output %s exists and is not a regular file; move it away or choose another --out (nothing was written)", dst)
	}
	return nil
}

// path returns the staging path for rel, creating its folder, and records rel. Safe
// for concurrent use.
func (o *outputs) path(rel string) (string, error) {
	p := filepath.Join(o.stage, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", fmt.Errorf("output %s: %w", rel, err)
	}
	o.mu.Lock()
	o.files = append(o.files, rel)
	o.mu.Unlock()
	return p, nil
}

// move is one rename a commit did, so that it can be undone.
type move struct{ from, to string }

// commit replaces each top-level entry of the output folder that the run staged
// (see outputs) and removes the staging folder. It returns the final paths of every
// staged file, sorted. On an error nothing of this run is left in place and what it
// replaced is back.
func (o *outputs) commit() ([]string, error) {
	entries, err := os.ReadDir(o.stage)
	if err != nil {
		return nil, fmt.Errorf("output folder %s: %w", o.dir, err)
	}
	// Check every destination before moving anything.
	for _, e := range entries {
		if err := checkTarget(filepath.Join(o.dir, e.Name()), e.IsDir()); err != nil {
			return nil, err
		}
	}
	old := filepath.Join(o.stage, replacedName)
	if err := os.Mkdir(old, 0o755); err != nil {
		return nil, fmt.Errorf("output folder %s: %w", o.dir, err)
	}
	var done []move
	undo := func() {
		for i := len(done) - 1; i >= 0; i-- {
			rename(done[i].to, done[i].from)
		}
	}
	for _, e := range entries {
		dst := filepath.Join(o.dir, e.Name())
		if _, err := os.Lstat(dst); err == nil {
			m := move{dst, filepath.Join(old, e.Name())}
			if err := rename(m.from, m.to); err != nil {
				undo()
				return nil, fmt.Errorf("output %s: %w (the output folder holds what it held before)", dst, err)
			}
			done = append(done, m)
		}
		m := move{filepath.Join(o.stage, e.Name()), dst}
		if err := rename(m.from, m.to); err != nil {
			undo()
			return nil, fmt.Errorf("output %s: %w (the output folder holds what it held before)", dst, err)
		}
		done = append(done, m)
	}
	o.mu.Lock()
	final := make([]string, len(o.files))
	for i, rel := range o.files {
		final[i] = filepath.Join(o.dir, rel)
	}
	o.mu.Unlock()
	sort.Strings(final)
	os.RemoveAll(o.stage)
	return final, nil
}

// abort removes the staging folder and everything in it, and the output folder
// itself when this run created it and it is empty.
func (o *outputs) abort() {
	os.RemoveAll(o.stage)
	o.close()
	o.removeCreated()
}

func (o *outputs) removeCreated() {
	if o.created {
		os.Remove(o.dir) // fails, as wanted, when not empty
	}
}

// close releases the folder's lock.
func (o *outputs) close() {
	if o.lock != nil {
		unlockDir(o.lock)
		o.lock = nil
	}
}
