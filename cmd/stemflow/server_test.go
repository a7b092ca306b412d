//go:build unix

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stemflow/stemflow/cluster"
)

// buildServerOnce builds stemflow-server next to the test's stemflow binary, where
// `stemflow server` looks for it first.
var buildServerOnce = sync.OnceValue(func() error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	out, err := exec.Command(goBin, "build", "-o", filepath.Join(filepath.Dir(binPath), serverProgramName), "../stemflow-server").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w\n%s", err, out)
	}
	return nil
})

// `stemflow server` runs stemflow-server in its place: the process it starts prints
// the URL of a server that accepts a client, and exits 0 on SIGINT.
func TestServerRunsSiblingProgram(t *testing.T) {
	if err := buildServerOnce(); err != nil {
		t.Fatalf("building stemflow-server: %v", err)
	}
	dir := t.TempDir()
	cmd := exec.Command(binPath, "server", "--port", "-1", "--store", filepath.Join(dir, "js"))
	cmd.Env = append(os.Environ(), "PATH="+dir) // found next to stemflow, not on PATH
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		s.Scan()
		lines <- s.Text()
		for s.Scan() {
		}
	}()
	var url string
	select {
	case url = <-lines:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("no URL within 60 s; stderr %q", stderr.String())
	}
	if !strings.HasPrefix(url, "nats://127.0.0.1:") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("first line %q, want nats://127.0.0.1:PORT; stderr %q", url, stderr.String())
	}
	nc, err := cluster.Connect(cluster.ConnOptions{URL: url})
	if err != nil {
		t.Errorf("connecting to %s: %v", url, err)
	} else {
		nc.Close()
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGINT: %v; stderr %q", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("server did not stop within 30 s of SIGINT")
	}
}

// Without stemflow-server next to stemflow or on PATH, `stemflow server` fails with
// exit 1 and a message saying how to install it; bad flags are still usage errors.
func TestServerWithoutSiblingProgram(t *testing.T) {
	dir := t.TempDir()
	lone := filepath.Join(dir, "stemflow")
	if err := os.Link(binPath, lone); err != nil { // another file system: copy
		b, err := os.ReadFile(binPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(lone, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		args   []string
		code   int
		errHas []string
	}{
		{[]string{"server", "--port", "-1", "--store", filepath.Join(dir, "js")}, exitError,
			[]string{"separate program stemflow-server", "found neither in " + dir + " nor on PATH",
				"go install github.com/stemflow/stemflow/cmd/stemflow-server@latest"}},
		{[]string{"server", "--bogus"}, exitUsage, []string{"flag provided but not defined: -bogus"}},
		{[]string{"server", "extra"}, exitUsage, []string{"server takes no arguments"}},
	}
	for _, tc := range tests {
		cmd := exec.Command(lone, tc.args...)
		cmd.Env = append(os.Environ(), "PATH="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code {
			t.Errorf("%q: exit %d, want %d; stderr %q", tc.args, code, tc.code, stderr.String())
		}
		for _, s := range tc.errHas {
			if !strings.Contains(stderr.String(), s) {
				t.Errorf("%q: stderr %q lacks %q", tc.args, stderr.String(), s)
			}
		}
	}
}

// `stemflow help server` lists the server's flags without running stemflow-server.
func TestServerHelp(t *testing.T) {
	o := mustRun(t, "", "help", "server")
	for _, s := range []string{"usage: stemflow server", "-store", "-port", "-token", "stemflow-server"} {
		if !strings.Contains(o.stdout, s) {
			t.Errorf("help server: stdout lacks %q:\n%s", s, o.stdout)
		}
	}
}
