package cluster

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/cluster/natsserver"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// fixture is a server, a driver client and a dataset file.
type fixture struct {
	srv  *natsserver.Server
	nc   *nats.Conn
	c    *Client
	dir  string
	path string
}

func newFixture(t testing.TB, nav, sig []int) *fixture {
	t.Helper()
	srv, err := natsserver.Start(natsserver.Options{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	nc, err := Connect(ConnOptions{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	c, err := NewClient(context.Background(), nc, testConfig)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	shape := append(append([]int(nil), nav...), sig...)
	data := array.Zeros[float32](shape...)
	r := rand.New(rand.NewPCG(7, 1))
	for i := range data.Data() {
		data.Data()[i] = float32(math.Floor(r.Float64()*1000)) + float32(r.IntN(8))*0.125
	}
	path := filepath.Join(dir, "data.npy")
	if err := array.WriteNPYFile(path, data); err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, nc: nc, c: c, dir: dir, path: path}
}

func (f *fixture) spec(udfs []UDFSpec, opts udf.Options) RunSpec {
	return RunSpec{Dataset: DatasetSpec{Format: "npy", Path: f.path}, UDFs: udfs, Options: opts}
}

// local runs the same spec without the cluster.
func local(t testing.TB, reg *Registry, spec RunSpec) []*udf.Result {
	t.Helper()
	ds, err := dataset.Open(spec.Dataset.Format, spec.Dataset.Path, spec.Dataset.Options)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	var us []udf.UDF
	for _, s := range spec.UDFs {
		e, err := reg.lookup(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		u, err := e.ctor(Params{JSON: mustJSON(t, s.Params), Arrays: s.Arrays, Shape: ds.Shape()})
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, u)
	}
	res, err := udf.Run(context.Background(), ds, us, spec.Options)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// sameResults compares every buffer's bytes.
func sameResults(t *testing.T, what string, want, got []*udf.Result) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d results, want %d", what, len(got), len(want))
	}
	for i := range want {
		names := want[i].Names()
		if !equalStrings(names, got[i].Names()) {
			t.Errorf("%s: udf %d buffers %v, want %v", what, i, got[i].Names(), names)
			continue
		}
		for _, n := range names {
			wb, err1 := npyBytes(want[i].Get(n).RawData())
			gb, err2 := npyBytes(got[i].Get(n).RawData())
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if !bytes.Equal(wb, gb) {
				t.Errorf("%s: udf %d buffer %q differs from the local run", what, i, n)
			}
		}
	}
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}

func allBuiltins(t *testing.T) []UDFSpec {
	masks := array.Zeros[float32](3, 16, 16)
	for i := range masks.Data() {
		masks.Data()[i] = float32(i%7) - 2
	}
	return []UDFSpec{
		{Name: "sum"}, {Name: "sumsig"}, {Name: "stddev"}, {Name: "logsum"}, {Name: "pick"},
		{Name: "noop"}, {Name: "sum", Params: map[string]string{"dtype": "float64"}},
		{Name: "disk", Params: map[string]float64{"cy": 8, "cx": 7, "r": 4}},
		{Name: "ring", Params: map[string]float64{"cy": 8, "cx": 8, "r": 6, "ri": 2}},
		{Name: "masks", Arrays: map[string]array.Array{"masks": masks}},
		{Name: "com", Params: map[string]any{"cy": 7.5, "cx": 8, "r": 5}},
		{Name: "fem", Params: map[string]float64{"cy": 8, "cx": 8, "ri": 2, "ro": 6}},
		{Name: "crystallinity", Params: map[string]float64{"ri": 1, "ro": 5, "real_cy": 8, "real_cx": 8, "real_r": 1}},
		{Name: "scaled", Params: scaled{Factor: 0.5}},
	}
}

func TestRemoteEqualsLocal(t *testing.T) {
	f := newFixture(t, []int{8, 9}, []int{16, 16})
	startWorker(t, f.srv.URL(), "w1", f.dir, 2)
	startWorker(t, f.srv.URL(), "w2", f.dir, 2)
	reg := testRegistry("1")
	roi := array.Zeros[bool](8, 9)
	for i := range roi.Data() {
		roi.Data()[i] = i%3 != 1
	}
	for _, tc := range []struct {
		name string
		opts udf.Options
	}{
		{"no roi", udf.Options{NumPartitions: 7}},
		{"roi", udf.Options{NumPartitions: 7, ROI: roi}},
		{"one partition", udf.Options{NumPartitions: 1}},
	} {
		spec := f.spec(allBuiltins(t), tc.opts)
		want := local(t, reg, spec)
		got, err := Run(context.Background(), f.c, reg, spec)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		sameResults(t, tc.name, want, got)
	}
	// RunIter: snapshots per merged partition, the last equals the local run
	spec := f.spec([]UDFSpec{{Name: "scaled", Params: scaled{Factor: 2}}}, udf.Options{NumPartitions: 5})
	j, err := f.c.Open(context.Background(), reg, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	n := 0
	var last []*udf.Result
	for s, err := range udf.RunIter(context.Background(), j.Dataset(), j.UDFs(), j.Options()) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if last, err = s.Results(); err != nil {
			t.Fatal(err)
		}
	}
	if n != 5 {
		t.Errorf("RunIter yielded %d snapshots, want 5", n)
	}
	sameResults(t, "RunIter", local(t, reg, spec), last)
}

func TestWorkerErrors(t *testing.T) {
	f := newFixture(t, []int{4, 4}, []int{8, 8})
	other := t.TempDir()
	startWorker(t, f.srv.URL(), "w1", f.dir, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := udf.Options{NumPartitions: 4}
	cases := []struct {
		name string
		reg  *Registry
		spec RunSpec
		want error
		text string
	}{
		{"udf error", testRegistry("1"), f.spec([]UDFSpec{{Name: "failing"}}, opts), nil, "bad frame in partition 2"},
		{"version", testRegistry("2"), f.spec([]UDFSpec{{Name: "scaled"}}, opts), ErrVersion, `"2" on the driver, "1" here`},
		{"outside data root", testRegistry("1"), RunSpec{Dataset: DatasetSpec{Format: "npy", Path: copyFile(t, f.path, other)}, UDFs: []UDFSpec{{Name: "sum"}}, Options: opts}, ErrDataRoot, "is not inside"},
	}
	unknown := testRegistry("1")
	if err := unknown.Register("only-driver", "1", func(Params) (udf.UDF, error) { return failing{}, nil }); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, struct {
		name string
		reg  *Registry
		spec RunSpec
		want error
		text string
	}{"unknown udf", unknown, f.spec([]UDFSpec{{Name: "only-driver"}}, opts), ErrUnknownUDF, `"only-driver"`})
	for _, tc := range cases {
		_, err := Run(ctx, f.c, tc.reg, tc.spec)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		var te *TaskError
		if !errors.As(err, &te) || te.Worker != "w1" {
			t.Errorf("%s: error %v is not a TaskError from w1", tc.name, err)
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
		if !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: error %q does not say %q", tc.name, err, tc.text)
		}
		if tc.name == "udf error" {
			var ue *udf.UDFError
			if !errors.As(err, &ue) || ue.Method != "ProcessFrame" || ue.Partition != 2 {
				t.Errorf("udf error: %v does not carry the UDFError (ProcessFrame, partition 2)", err)
			}
		}
	}
}

func copyFile(t *testing.T, src, dir string) string {
	t.Helper()
	a, err := array.ReadNPYFile(src)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "copy.npy")
	if err := array.WriteNPYFile(p, a); err != nil {
		t.Fatal(err)
	}
	return p
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWorkerKilledAndJoining(t *testing.T) {
	f := newFixture(t, []int{6, 8}, []int{8, 8})
	a := startWorker(t, f.srv.URL(), "a", f.dir, 1)
	reg := testRegistry("1")
	spec := f.spec([]UDFSpec{{Name: "scaled", Params: scaled{Factor: 3, SleepMS: 15}}}, udf.Options{NumPartitions: 8})
	j, err := f.c.Open(context.Background(), reg, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	errc := make(chan error, 1)
	var got []*udf.Result
	go func() {
		var err error
		got, err = udf.Run(context.Background(), j.Dataset(), j.UDFs(), j.Options())
		errc <- err
	}()
	// a computes at least one partition, then b joins and a dies mid-task
	waitFor(t, "worker a's first result", func() bool { return j.Workers()["a"] >= 1 })
	startWorker(t, f.srv.URL(), "b", f.dir, 1)
	time.Sleep(50 * time.Millisecond)
	if err := a.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("run did not finish after the worker was killed")
	}
	ws := j.Workers()
	if ws["a"] < 1 || ws["b"] < 1 || ws["a"]+ws["b"] != 8 {
		t.Errorf("results by worker %v, want both a and b, 8 in all", ws)
	}
	spec.UDFs[0].Params = scaled{Factor: 3}
	sameResults(t, "killed", local(t, reg, spec), got)
}

func TestPoisonTask(t *testing.T) {
	f := newFixture(t, []int{4, 4}, []int{8, 8})
	for _, n := range []string{"p1", "p2", "p3", "p4"} {
		startWorker(t, f.srv.URL(), n, f.dir, 1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	start := time.Now()
	_, err := Run(ctx, f.c, testRegistry("1"), f.spec([]UDFSpec{{Name: "scaled", Params: scaled{CrashPartition: 1}}}, udf.Options{NumPartitions: 4}))
	if !errors.Is(err, ErrPoisonTask) || !strings.Contains(err.Error(), "partition 1 ") {
		t.Fatalf("error %v, want ErrPoisonTask for partition 1", err)
	}
	t.Logf("poison task reported after %v: %v", time.Since(start), err)
}

func TestDriverCancellation(t *testing.T) {
	f := newFixture(t, []int{8, 8}, []int{8, 8})
	startWorker(t, f.srv.URL(), "c1", f.dir, 1)
	reg := testRegistry("1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j, err := f.c.Open(ctx, reg, f.spec([]UDFSpec{{Name: "scaled", Params: scaled{SleepMS: 20}}}, udf.Options{NumPartitions: 16}))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	errc := make(chan error, 1)
	go func() {
		_, err := udf.Run(ctx, j.Dataset(), j.UDFs(), j.Options())
		errc <- err
	}()
	waitFor(t, "a first result", func() bool { return j.Workers()["c1"] >= 1 })
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not end after cancellation")
	}
	info, err := f.c.stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 {
		t.Errorf("%d tasks still queued after cancellation, want 0", info.State.Msgs)
	}
	if n := j.Workers()["c1"]; n >= 16 {
		t.Errorf("worker computed all %d partitions despite cancellation", n)
	}
}

func TestCredentials(t *testing.T) {
	srv, err := natsserver.Start(natsserver.Options{Port: -1, StoreDir: t.TempDir(), User: "alice", Password: "s3cret-pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, o := range []ConnOptions{
		{URL: srv.URL(), User: "alice", Password: "wrong-pw"},
		{URL: srv.URL()},
		{URL: strings.Replace(srv.URL(), "nats://", "nats://alice:wrong-pw@", 1)},
		{URL: srv.URL(), Token: "tok-wrong"},
	} {
		nc, err := Connect(o)
		if err == nil {
			nc.Close()
			t.Errorf("%+v: connected with wrong credentials", o.User)
			continue
		}
		if !errors.Is(err, ErrConnect) || strings.Contains(err.Error(), "wrong-pw") || strings.Contains(err.Error(), "tok-wrong") {
			t.Errorf("error %q: want ErrConnect without the credentials", err)
		}
	}
	nc, err := Connect(ConnOptions{URL: srv.URL(), User: "alice", Password: "s3cret-pw"})
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	t.Setenv(EnvUser, "alice")
	t.Setenv(EnvPassword, "s3cret-pw")
	nc, err = Connect(ConnOptionsFromEnv(ConnOptions{URL: srv.URL()}))
	if err != nil {
		t.Fatalf("credentials from the environment: %v", err)
	}
	nc.Close()
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"nats://u:p@h:4222":          "nats://h:4222",
		"nats://h:1,nats://a:b@h2:2": "nats://h:1,nats://h2:2",
		"nats://tok@h:4222":          "nats://h:4222",
		"nats://127.0.0.1:4222":      "nats://127.0.0.1:4222",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
