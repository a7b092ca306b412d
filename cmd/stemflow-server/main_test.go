package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stemflow/stemflow/cluster"
)

func TestProgramName(t *testing.T) {
	for argv0, want := range map[string]string{
		"stemflow server":          "stemflow server",
		"/usr/bin/stemflow-server": "stemflow-server",
		"bin/stemflow-server":      "stemflow-server",
	} {
		if got := programName(argv0); got != want {
			t.Errorf("programName(%q) = %q, want %q", argv0, got, want)
		}
	}
}

func TestRunCommandLine(t *testing.T) {
	tests := []struct {
		name           string
		args           []string
		code           int
		outHas, errHas string
	}{
		{"help", []string{"-h"}, 0, "usage: stemflow-server [flags]", ""},
		{"bad flag", []string{"--bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{"argument", []string{"x"}, 2, "", `takes no arguments, got ["x"]`},
		{"empty store", []string{"--store", "", "--port", "-1"}, 1, "", "needs a store directory"},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), "stemflow-server", tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String(), tc.outHas) || !strings.Contains(stderr.String(), tc.errHas) {
			t.Errorf("%s: exit %d (want %d), stdout %q (want %q), stderr %q (want %q)",
				tc.name, code, tc.code, stdout.String(), tc.outHas, stderr.String(), tc.errHas)
		}
	}
}

// lineWriter hands the first complete line written to it to a channel.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if i := bytes.IndexByte(w.buf.Bytes(), '\n'); i >= 0 && w.lines != nil {
		w.lines <- string(w.buf.Bytes()[:i])
		w.lines = nil
	}
	return len(p), nil
}

// The server requires the credentials from the flags, prints its URL and stops
// (exit 0) when its context ends.
func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lineWriter{lines: make(chan string, 1)}
	lines := out.lines
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, "stemflow-server", []string{"--port", "-1", "--store", t.TempDir(), "--token", "tok-1"}, out, io.Discard)
	}()
	var url string
	select {
	case url = <-lines:
	case code := <-done:
		t.Fatalf("exit %d before printing a URL", code)
	case <-time.After(30 * time.Second):
		t.Fatal("no URL within 30 s")
	}
	if _, err := cluster.Connect(cluster.ConnOptions{URL: url}); err == nil {
		t.Errorf("%s accepted a client without the token", url)
	}
	nc, err := cluster.Connect(cluster.ConnOptions{URL: url, Token: "tok-1"})
	if err != nil {
		t.Errorf("with the token: %v", err)
	} else {
		nc.Close()
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after cancel, want 0", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop within 30 s")
	}
}
