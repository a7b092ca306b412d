package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/udf"
)

// tree returns every file under dir (hidden ones too) with its content.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[rel] = string(b)
		return nil
	})
	return out
}

func keys(m map[string]string) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

func sameTree(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// The scenario: a good sumsig result, a file where a spec folder would go,
// then a failing run of three specs on another file: nothing of the failing run may
// appear and sumsig must keep the first file's result.
func TestRunFailedCommitKeepsEarlierResults(t *testing.T) {
	f := getFixture(t)
	dir := t.TempDir()
	other := filepath.Join(dir, "other.npy")
	if err := array.WriteNPYFile(other, array.Wrap(make([]float32, 2*2*4*4), 2, 2, 4, 4)); err != nil {
		t.Fatal(err)
	}
	mix := filepath.Join(dir, "o", "mix")
	mustRun(t, dir, "run", f.npy, "--udf", "sumsig", "--out", mix)
	if err := os.WriteFile(filepath.Join(mix, "sum"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := tree(t, mix)
	o := stemflow(t, dir, "run", other, "--udf", "sumsig", "--udf", "stddev", "--udf", "sum", "--out", mix)
	if o.code != exitError {
		t.Fatalf("exit %d, want 1; stderr %q", o.code, o.stderr)
	}
	if !strings.Contains(o.stderr, filepath.Join(mix, "sum")) || !strings.Contains(o.stderr, "not a folder") {
		t.Errorf("stderr %q does not name the blocking file", o.stderr)
	}
	if after := tree(t, mix); !sameTree(before, after) {
		t.Errorf("output folder changed by a failed run:\nbefore %v\nafter  %v", keys(before), keys(after))
	}
}

// A commit that fails part-way (the k-th rename) puts back everything it moved.
func TestOutputsCommitRestoresOnFailure(t *testing.T) {
	for k := 1; k <= 7; k++ {
		t.Run(strconv.Itoa(k), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			for rel, body := range map[string]string{
				"sum/intensity.npy": "old sum", "sum/intensity.png": "old png",
				"com/field.png": "old field", "disk/intensity.npy": "kept",
				manifestName: "old manifest",
			} {
				os.MkdirAll(filepath.Dir(filepath.Join(out, rel)), 0o755)
				os.WriteFile(filepath.Join(out, rel), []byte(body), 0o644)
			}
			before := tree(t, out)
			o, err := openOutputs(out)
			if err != nil {
				t.Fatal(err)
			}
			defer o.close()
			for _, rel := range []string{"sum/intensity.npy", "com/field.png", "stddev/std.npy", manifestName} {
				p, err := o.path(rel)
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(p, []byte("new "+rel), 0o644)
			}
			// 4 entries, 3 of which exist: 7 renames in all.
			calls := 0
			rename = func(from, to string) error {
				calls++
				if calls == k {
					return errors.New("injected failure")
				}
				return os.Rename(from, to)
			}
			defer func() { rename = os.Rename }()
			if _, err := o.commit(); err == nil || !strings.Contains(err.Error(), "injected failure") {
				t.Fatalf("commit err = %v, want the injected failure", err)
			}
			o.abort()
			if after := tree(t, out); !sameTree(before, after) {
				t.Errorf("after a failure at rename %d:\nbefore %v\nafter  %v", k, keys(before), keys(after))
			}
		})
	}
}

// A commit replaces each spec folder as a whole and keeps the others.
func TestOutputsReplaceWholeFolders(t *testing.T) {
	out := t.TempDir()
	for rel, body := range map[string]string{
		"masks/intensity-0.png": "old", "masks/intensity-1.png": "old", "masks/intensity-2.png": "stale",
		"disk/intensity.npy": "kept",
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(out, rel)), 0o755)
		os.WriteFile(filepath.Join(out, rel), []byte(body), 0o644)
	}
	o, err := openOutputs(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"masks/intensity-0.png", "masks/intensity-1.png"} {
		p, _ := o.path(rel)
		os.WriteFile(p, []byte("new"), 0o644)
	}
	if _, err := o.commit(); err != nil {
		t.Fatal(err)
	}
	o.close()
	want := map[string]string{"./": "", "masks/": "", "disk/": "", "masks/intensity-0.png": "new", "masks/intensity-1.png": "new", "disk/intensity.npy": "kept"}
	if got := tree(t, out); !sameTree(got, want) {
		t.Errorf("after commit: %v, want %v", got, want)
	}
}

// Staging folders of dead runs go; a live process's stays.
func TestOutputsRemoveStale(t *testing.T) {
	out := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("no true command:", err)
	}
	deadName := partialPrefix + "p" + strconv.Itoa(dead.Process.Pid) + "-1"
	liveName := partialPrefix + "p" + strconv.Itoa(os.Getppid()) + "-2"
	legacy := partialPrefix + "123456789"
	for _, n := range []string{deadName, liveName, legacy} {
		os.MkdirAll(filepath.Join(out, n, "sum"), 0o755)
		os.WriteFile(filepath.Join(out, n, "sum", "intensity.npy"), []byte("half"), 0o644)
	}
	o, err := openOutputs(out)
	if err != nil {
		t.Fatal(err)
	}
	o.abort()
	if exists(filepath.Join(out, deadName)) || exists(filepath.Join(out, legacy)) {
		t.Error("stale staging folder of a dead run left")
	}
	if !exists(filepath.Join(out, liveName)) {
		t.Error("staging folder of a live process removed")
	}
}

// Two runs cannot write one folder at once.
func TestOutputsLock(t *testing.T) {
	out := t.TempDir()
	a, err := openOutputs(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openOutputs(out); err == nil || !strings.Contains(err.Error(), "another stemflow run") {
		t.Fatalf("second open: err = %v, want the folder to be locked", err)
	}
	f := getFixture(t)
	o := stemflow(t, f.dir, "run", f.npy, "--out", out)
	if o.code != exitError || !strings.Contains(o.stderr, "another stemflow run") {
		t.Errorf("run into a locked folder: exit %d, stderr %q", o.code, o.stderr)
	}
	a.abort()
	if _, err := openOutputs(out); err != nil {
		t.Errorf("after release: %v", err)
	}
}

// --out is checked before anything is read, with messages that say what is wrong.
func TestRunOutChecks(t *testing.T) {
	f := getFixture(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "afile")
	os.WriteFile(file, []byte("x"), 0o644)
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "nowhere"), dangling)
	tests := []struct {
		name, out string
		code      int
		mention   string
	}{
		{"empty", "", exitUsage, "--out is empty"},
		{"blank", "  ", exitUsage, "--out is empty"},
		{"a file", file, exitError, "exists and is not a folder"},
		{"dangling symlink", dangling, exitError, "symbolic link to"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// the input does not exist: the --out error must come first
			o := stemflow(t, dir, "run", filepath.Join(dir, "missing.npy"), "--out", tc.out)
			if o.code != tc.code || !strings.Contains(o.stderr, tc.mention) {
				t.Errorf("exit %d, stderr %q; want %d mentioning %q", o.code, o.stderr, tc.code, tc.mention)
			}
		})
	}
	// a symlink to a folder is a fine --out
	real := filepath.Join(dir, "real")
	os.Mkdir(real, 0o755)
	link := filepath.Join(dir, "link")
	os.Symlink(real, link)
	mustRun(t, dir, "run", f.npy, "--out", link)
	if !exists(filepath.Join(real, "sum", "intensity.npy")) {
		t.Error("run through a symlinked --out wrote nothing into its target")
	}
}

// The manifest lists what the folder holds, newest run first.
func TestRunManifest(t *testing.T) {
	f := getFixture(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "o")
	read := func() manifest {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(out, manifestName))
		if err != nil {
			t.Fatal(err)
		}
		var m manifest
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	folders := func(r manifestRun) string {
		var s []string
		for _, f := range r.Folders {
			s = append(s, f.Folder)
		}
		return strings.Join(s, ",")
	}
	mustRun(t, dir, "run", f.npy, "--udf", "sum", "--udf", "com", "--out", out)
	m := read()
	if len(m.Runs) != 1 || folders(m.Runs[0]) != "sum,com" || m.Runs[0].Input != f.npy || m.Runs[0].Version == "" {
		t.Fatalf("manifest after one run: %+v", m)
	}
	wantSum := []string{"sum/intensity.npy", "sum/intensity.png"}
	if got := m.Runs[0].Folders[0].Files; strings.Join(got, " ") != strings.Join(wantSum, " ") {
		t.Errorf("sum files %q, want %q", got, wantSum)
	}
	for _, fl := range m.Runs[0].Folders {
		for _, p := range fl.Files {
			if !exists(filepath.Join(out, p)) {
				t.Errorf("manifest lists %s, which does not exist", p)
			}
		}
	}
	mustRun(t, dir, "run", f.npy, "--udf", "sumsig", "--out", out)
	mustRun(t, dir, "run", f.npy, "--udf", "sum", "--out", out)
	m = read()
	var got []string
	for _, r := range m.Runs {
		got = append(got, folders(r))
	}
	if strings.Join(got, " ") != "sum sumsig com" {
		t.Errorf("runs hold %q, want [sum sumsig com]", got)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		o := mustRun(t, "", args...)
		if !strings.HasPrefix(o.stdout, "stemflow "+version) {
			t.Errorf("%q printed %q", args, o.stdout)
		}
	}
	if o := stemflow(t, "", "version", "extra"); o.code != exitUsage {
		t.Errorf("version extra: exit %d", o.code)
	}
}

// A panic is an internal error: exit 1, "internal error" and a hint, never 2.
func TestInternalError(t *testing.T) {
	cases := []struct {
		name string
		run  func(context.Context, []string, io.Writer, io.Writer) error
	}{
		{"panic in the command", func(context.Context, []string, io.Writer, io.Writer) error { panic("boom") }},
		{"panic recovered by the engine", func(context.Context, []string, io.Writer, io.Writer) error {
			return errors.Join(errors.New("udf 0 (Sum)"), &udf.PanicError{Value: "boom"})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := command{name: "run", run: tc.run}
			var out, errb bytes.Buffer
			code := exitCode(context.Background(), c, runCommand(context.Background(), c, nil, &out, &errb), &out, &errb)
			if code != exitError || !strings.Contains(errb.String(), "internal error") || !strings.Contains(errb.String(), "boom") ||
				!strings.Contains(errb.String(), "please report") {
				t.Errorf("exit %d, stderr %q", code, errb.String())
			}
		})
	}
}

// Accepted but suspicious input runs (exit 0) with a warning on stderr.
func TestRunWarnings(t *testing.T) {
	f := getFixture(t)
	dir := t.TempDir()
	longRaw := filepath.Join(dir, "long.raw")
	writeRaw(t, longRaw, append(append([]float32(nil), f.data...), 1, 2, 3), func(v float32) any { return v }, binary.LittleEndian)
	empty := filepath.Join(dir, "empty-roi.npy")
	array.WriteNPYFile(empty, array.Zeros[bool](f.ny, f.nx))
	raw := []string{"--dtype", "float32", "--sig-shape", "16,12"}
	tests := []struct {
		name    string
		args    []string
		mention string
	}{
		{"dtype on npy", []string{f.npy, "--dtype", "uint16"}, "--dtype uint16 is ignored"},
		{"raw longer than the shape", append([]string{longRaw, "--nav-shape", "8,6"}, raw...), "the last 12 bytes are ignored"},
		{"fewer frames than the file", append([]string{longRaw, "--nav-shape", "4,6"}, raw...), "uses 24 frames"},
		{"roi selects nothing", []string{f.npy, "--roi", empty}, "selects no scan position"},
		{"detector outside", []string{f.npy, "--udf", "disk:cy=40,cx=3,r=2"}, "outside the 16×12 detector"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := mustRun(t, dir, append(append([]string{"run"}, tc.args...), "--out", t.TempDir())...)
			if !strings.Contains(o.stderr, "warning: ") || !strings.Contains(o.stderr, tc.mention) {
				t.Errorf("stderr %q lacks a warning mentioning %q", o.stderr, tc.mention)
			}
		})
	}
	o := mustRun(t, dir, "run", f.npy, "--out", t.TempDir())
	if o.stderr != "" {
		t.Errorf("plain run warned: %q", o.stderr)
	}
}

// CoM on a 3-D detector fails before the pass, with the flag-level message.
func TestRunCoMDetectorCheckedFirst(t *testing.T) {
	f := getFixture(t)
	dir := t.TempDir()
	raw := filepath.Join(dir, "d.raw")
	writeRaw(t, raw, f.data, func(v float32) any { return v }, binary.LittleEndian)
	o := stemflow(t, dir, "run", raw, "--dtype", "float32", "--nav-shape", "8,6", "--sig-shape", "4,4,12", "--udf", "com", "--progress", "--out", filepath.Join(dir, "o"))
	if o.code != exitError || !strings.Contains(o.stderr, "com needs a 2-D detector") || strings.Contains(o.stderr, "%") {
		t.Errorf("exit %d, stderr %q; want an error before the pass (no progress bar)", o.code, o.stderr)
	}
}

func TestGraphSVGOut(t *testing.T) {
	f := getFixture(t)
	dir := t.TempDir()
	o := stemflow(t, dir, "graph", f.npy, "--out", filepath.Join(dir, "g.svg"))
	if _, err := exec.LookPath("dot"); err != nil {
		if o.code != exitError || !strings.Contains(o.stderr, "needs Graphviz") {
			t.Errorf("without dot: exit %d, stderr %q", o.code, o.stderr)
		}
		return
	}
	if o.code != 0 {
		t.Fatalf("exit %d: %s", o.code, o.stderr)
	}
	d, _ := os.ReadFile(filepath.Join(dir, "g.dot"))
	s, _ := os.ReadFile(filepath.Join(dir, "g.svg"))
	if !bytes.HasPrefix(d, []byte("digraph")) || !bytes.Contains(s, []byte("<svg")) {
		t.Errorf("g.dot starts %q, g.svg has no <svg", d[:min(len(d), 20)])
	}
}

func TestSampleSizeChecks(t *testing.T) {
	for _, nav := range []string{"100000000,100000000", "9223372036854775807,2", "4096,4096"} {
		var out, errb bytes.Buffer
		code := cli(context.Background(), []string{"sample", "--nav-shape", nav, t.TempDir()}, &out, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), "would exceed 1024 MiB") {
			t.Errorf("--nav-shape %s: exit %d, stderr %q", nav, code, errb.String())
		}
	}
}

// The write phase shows progress too.
func TestRunWriteProgress(t *testing.T) {
	f := getFixture(t)
	o := mustRun(t, f.dir, "run", f.npy, "--udf", "com", "--progress", "--out", t.TempDir())
	if !strings.Contains(o.stderr, "write") {
		t.Errorf("stderr %q shows no write phase", o.stderr)
	}
}

// Every --io method gives bit-identical results.
func TestRunIOMethodsIdentical(t *testing.T) {
	f := getFixture(t)
	dir := t.TempDir()
	raw := filepath.Join(dir, "d.raw")
	writeRaw(t, raw, f.data, func(v float32) any { return uint16(v) }, binary.LittleEndian)
	var first map[string]string
	for _, io := range []string{"mmap", "populate", "pread", "auto"} {
		out := filepath.Join(dir, io)
		for _, in := range [][]string{{f.npy}, {raw, "--dtype", "uint16", "--nav-shape", "8,6", "--sig-shape", "16,12"}} {
			args := append([]string{"run"}, in...)
			mustRun(t, dir, append(args, "--io", io, "--udf", "sum", "--udf", "stddev", "--udf", "com", "--udf", "sumsig", "--out", filepath.Join(out, filepath.Ext(in[0])[1:]))...)
		}
		got := tree(t, out)
		for k := range got {
			if !strings.HasSuffix(k, ".npy") {
				delete(got, k)
			}
		}
		if first == nil {
			first = got
			if len(first) < 10 {
				t.Fatalf("only %d result files", len(first))
			}
			continue
		}
		if !sameTree(first, got) {
			t.Errorf("--io %s results differ from --io mmap", io)
		}
	}
}
