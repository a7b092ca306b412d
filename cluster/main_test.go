package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/udf"
)

// Worker processes are this test binary re-executed with these variables set.
const (
	envWorkerURL  = "STEMFLOW_CLUSTER_TEST_WORKER"
	envWorkerRoot = "STEMFLOW_CLUSTER_TEST_ROOT"
	envWorkerName = "STEMFLOW_CLUSTER_TEST_NAME"
	envSlots      = "STEMFLOW_CLUSTER_TEST_SLOTS"
)

func TestMain(m *testing.M) {
	if url := os.Getenv(envWorkerURL); url != "" {
		os.Exit(workerMain(url))
	}
	goleak.VerifyTestMain(m)
}

// workerMain is a worker process: it serves until SIGTERM.
func workerMain(url string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	nc, err := Connect(ConnOptions{URL: url})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer nc.Close()
	slots, _ := strconv.Atoi(os.Getenv(envSlots))
	err = Serve(ctx, nc, WorkerOptions{Registry: testRegistry("1"), Slots: slots,
		DataRoot: os.Getenv(envWorkerRoot), Name: os.Getenv(envWorkerName),
		Config: testConfig, Log: func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

var testConfig = Config{AckWait: time.Second, MaxDeliver: 3}

// scaled is a user UDF: per frame the pixel sum times Factor (nav buffer) and the
// sum over frames (sig buffer, merged by Merge). Sleep slows every frame down;
// CrashPartition makes a worker process exit in that partition.
type scaled struct {
	Factor         float64
	SleepMS        int
	CrashPartition int
}

func (scaled) ResultBuffers(*udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{udf.NavBuffer("fsum", array.Float64), udf.SigBuffer("sig", array.Float64)}
}

func (u scaled) ProcessFrame(env *udf.Env, frame array.Array) error {
	if u.CrashPartition > 0 && env.Meta.Partition == u.CrashPartition && os.Getenv(envWorkerURL) != "" {
		os.Exit(3)
	}
	if u.SleepMS > 0 {
		time.Sleep(time.Duration(u.SleepMS) * time.Millisecond)
	}
	sig := udf.F64(env, 1).Data()
	var s float64
	switch f := frame.(type) {
	case *array.Dense[float32]:
		for i, v := range f.Data() {
			s += float64(v)
			sig[i] += float64(v)
		}
	case *array.Dense[float64]:
		for i, v := range f.Data() {
			s += v
			sig[i] += v
		}
	default:
		return fmt.Errorf("frame dtype %v", frame.DType())
	}
	udf.F64(env, 0).Data()[0] = s * u.Factor
	return nil
}

func (scaled) Merge(dest, src *udf.Views, m *udf.Meta) error {
	d, s := udf.F64(dest, 1).Data(), udf.F64(src, 1).Data()
	for i := range d {
		d[i] += s[i]
	}
	dn, sn := udf.F64(dest, 0).Data(), udf.F64(src, 0).Data()
	copy(dn, sn) // dest is the partition's rows of the whole buffer
	return nil
}

// failing is a user UDF that fails in partition 2.
type failing struct{}

func (failing) ResultBuffers(*udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{udf.NavBuffer("x", array.Float32)}
}

func (failing) ProcessFrame(env *udf.Env, _ array.Array) error {
	if env.Meta.Partition == 2 {
		return fmt.Errorf("bad frame in partition 2")
	}
	return nil
}

// testRegistry is Builtins plus the test's user UDFs, "scaled" at the given version.
func testRegistry(scaledVersion string) *Registry {
	r := Builtins()
	if err := r.Register("scaled", scaledVersion, func(p Params) (udf.UDF, error) {
		var u scaled
		err := p.Decode(&u)
		return u, err
	}); err != nil {
		panic(err)
	}
	if err := r.Register("failing", "1", func(p Params) (udf.UDF, error) { return failing{}, nil }); err != nil {
		panic(err)
	}
	if err := r.Register("empty", "1", func(Params) (udf.UDF, error) { return empty{}, nil }); err != nil {
		panic(err)
	}
	return r
}

// startWorker starts a worker process; it is killed at the end of the test.
func startWorker(t testing.TB, url, name, root string, slots int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envWorkerURL+"="+url, envWorkerName+"="+name, envWorkerRoot+"="+root, envSlots+"="+strconv.Itoa(slots))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return cmd
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
