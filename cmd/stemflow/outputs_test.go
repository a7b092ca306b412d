package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestOutputsCommit(t *testing.T) {
	out := filepath.Join(t.TempDir(), "new", "out")
	o, err := openOutputs(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"sum/intensity.npy", "com/field.png", "sum-2/intensity.npy"} {
		p, err := o.path(rel)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(rel), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(out, rel)); !os.IsNotExist(err) {
			t.Fatalf("%s visible before commit (stat err %v)", rel, err)
		}
	}
	got, err := o.commit()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(out, "com/field.png"), filepath.Join(out, "sum-2/intensity.npy"), filepath.Join(out, "sum/intensity.npy")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("commit = %q, want %q", got, want)
	}
	for _, p := range want {
		b, err := os.ReadFile(p)
		if err != nil || !strings.HasSuffix(p, string(b)) {
			t.Errorf("%s holds %q, %v", p, b, err)
		}
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".stemflow-partial") {
			t.Errorf("staging folder %s left behind", e.Name())
		}
	}
}

func TestOutputsAbort(t *testing.T) {
	tests := []struct {
		name     string
		existing bool
	}{
		{"new folder is removed", false},
		{"existing folder is kept with its old files", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			if tc.existing {
				os.MkdirAll(filepath.Join(out, "sum"), 0o755)
				os.WriteFile(filepath.Join(out, "sum", "intensity.npy"), []byte("old"), 0o644)
			}
			o, err := openOutputs(out)
			if err != nil {
				t.Fatal(err)
			}
			p, _ := o.path("sum/intensity.npy")
			os.WriteFile(p, []byte("half"), 0o644)
			o.abort()
			_, statErr := os.Stat(out)
			if tc.existing {
				b, err := os.ReadFile(filepath.Join(out, "sum", "intensity.npy"))
				if err != nil || string(b) != "old" {
					t.Errorf("old file now %q, %v; want untouched", b, err)
				}
				entries, _ := os.ReadDir(out)
				if len(entries) != 1 {
					t.Errorf("out holds %d entries after abort, want 1", len(entries))
				}
			} else if !os.IsNotExist(statErr) {
				t.Errorf("new output folder left behind (stat err %v)", statErr)
			}
		})
	}
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, true, 1<<20, "run", true)
	p.set(1 << 19)
	p.finish()
	s := buf.String()
	for _, want := range []string{"run", "100%", "B/s"} {
		if !strings.Contains(s, want) {
			t.Errorf("bar output %q lacks %q", s, want)
		}
	}
	if !strings.HasSuffix(s, "\n") {
		t.Errorf("bar output does not end its line: %q", s)
	}
	var off *progress = newProgress(&buf, false, 10, "x", false)
	if off != nil {
		t.Fatal("newProgress(on=false) returned a bar")
	}
	off.set(3) // nil bars do nothing
	off.finish()
	off.abort()
	if isTerminal(&buf) {
		t.Error("a bytes.Buffer is not a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
}

func TestCLIUsageAndHelp(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		code      int
		outHas    string
		errHas    string
		errHasNot string
	}{
		{"no args", nil, exitUsage, "", "usage:", ""},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`, ""},
		{"help", []string{"help"}, exitOK, "stemflow run", "", ""},
		{"--help", []string{"--help"}, exitOK, "stemflow sample", "", ""},
		{"help run", []string{"help", "run"}, exitOK, "com:[cy=..]", "", ""},
		{"help unknown", []string{"help", "nope"}, exitUsage, "", `unknown command "nope"`, ""},
		{"run -h", []string{"run", "-h"}, exitOK, "usage: stemflow run", "", ""},
		{"info --help", []string{"info", "--help"}, exitOK, "usage: stemflow info", "", ""},
		{"graph -h", []string{"graph", "-h"}, exitOK, "usage: stemflow graph", "", ""},
		{"sample -h", []string{"sample", "-h"}, exitOK, "usage: stemflow sample", "", ""},
		{"bad flag once", []string{"run", "f.npy", "--bogus"}, exitUsage, "", "flag provided but not defined: -bogus", ""},
		{"bad shape flag", []string{"run", "--nav-shape", "2,-1", "f"}, exitUsage, "", "positive integers", ""},
		{"bad progress", []string{"run", "--progress=maybe", "f"}, exitUsage, "", "want true or false", ""},
		{"run without file", []string{"run", "--udf", "sum"}, exitUsage, "", "missing", ""},
		{"run two files", []string{"run", "a", "b"}, exitUsage, "", "want one", ""},
		{"bad spec", []string{"run", "--udf", "disk:r=1", "f.npy"}, exitUsage, "", `missing parameter "cy"`, ""},
		{"sample without dir", []string{"sample"}, exitUsage, "", "missing", ""},
		{"sample bad shape", []string{"sample", "--sig-shape", "2,2", t.TempDir()}, exitUsage, "", "sig shape", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := cli(context.Background(), tc.args, &out, &errb)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.code, errb.String())
			}
			if !strings.Contains(out.String(), tc.outHas) {
				t.Errorf("stdout lacks %q: %q", tc.outHas, out.String())
			}
			if !strings.Contains(errb.String(), tc.errHas) {
				t.Errorf("stderr lacks %q: %q", tc.errHas, errb.String())
			}
			if n := strings.Count(errb.String(), "usage: stemflow"); n > 1 {
				t.Errorf("usage printed %d times", n)
			}
		})
	}
}
