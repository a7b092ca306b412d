package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/cluster"
	"github.com/stemflow/stemflow/cluster/natsserver"
)

// TestRunNATS runs the same UDFs locally and with --nats on an in-process server and
// worker: every written .npy must be byte-identical; a worker whose data root does
// not hold the file fails the run with a clear message.
func TestRunNATS(t *testing.T) {
	f := getFixture(t)
	dir := t.TempDir()
	srv, err := natsserver.Start(natsserver.Options{Port: -1, StoreDir: filepath.Join(dir, "js")})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	nc, err := cluster.Connect(cluster.ConnOptions{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() {
		served <- cluster.Serve(ctx, nc, cluster.WorkerOptions{Slots: 2, DataRoot: filepath.Dir(f.npy), Name: "cli-worker"})
	}()
	defer func() {
		cancel()
		<-served
		nc.Close()
	}()
	udfs := []string{"--udf", "sum", "--udf", "stddev", "--udf", "disk:cy=4,cx=5,r=3", "--udf", "ring:cy=4,cx=5,ri=1,ro=3", "--udf", "com", "--partitions", "5"}
	loc := filepath.Join(dir, "local")
	rem := filepath.Join(dir, "remote")
	mustRun(t, dir, append([]string{"run", f.npy, "--out", loc}, udfs...)...)
	mustRun(t, dir, append([]string{"run", f.npy, "--out", rem, "--nats", srv.URL()}, udfs...)...)
	n := 0
	err = filepath.Walk(loc, func(p string, info os.FileInfo, err error) error {
		if err != nil || !strings.HasSuffix(p, ".npy") {
			return err
		}
		rel, _ := filepath.Rel(loc, p)
		a, _ := os.ReadFile(p)
		b, err := os.ReadFile(filepath.Join(rem, rel))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: remote result differs from the local one (%v)", rel, err)
		}
		n++
		return nil
	})
	if err != nil || n < 5 {
		t.Fatalf("compared %d files: %v", n, err)
	}
	other := filepath.Join(dir, "other.npy")
	b, _ := os.ReadFile(f.npy)
	if err := os.WriteFile(other, b, 0o644); err != nil {
		t.Fatal(err)
	}
	o := stemflow(t, dir, "run", other, "--out", filepath.Join(dir, "o3"), "--nats", srv.URL())
	if o.code != 1 || !strings.Contains(o.stderr, "outside the worker's data root") {
		t.Errorf("outside the data root: exit %d, stderr %q", o.code, o.stderr)
	}
}
