package web

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends/cuda"
	"github.com/stemflow/stemflow/udf"
)

// finalImage reads a session's events until the final image of run id and returns
// its first image's values.
func finalImage(t *testing.T, next func() (string, string), id int) []float32 {
	t.Helper()
	for {
		name, data := next()
		switch name {
		case "":
			t.Fatal("stream ended")
		case "status":
			var st statusEvent
			if err := json.Unmarshal([]byte(data), &st); err != nil {
				t.Fatal(err)
			}
			if st.Run == id && st.State == "failed" {
				t.Fatalf("run %d failed: %s", id, st.Error)
			}
		case "image":
			var ev imageEvent
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Run != id || !ev.Final {
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(ev.Images[0].Data)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float32, len(raw)/4)
			for k := range got {
				got[k] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*k:]))
			}
			return got
		}
	}
}

// startRun opens path in a new session and starts analysis a; it returns the
// session's event reader and the run id.
func startRun(t *testing.T, ctx context.Context, c *http.Client, url, path string, a Analysis) (func() (string, string), int) {
	t.Helper()
	id, next := stream(t, ctx, c, url)
	if code, body := post(t, c, url+"/api/s/"+id+"/open", fmt.Sprintf(`{"path":%q}`, path)); code != 200 {
		t.Fatalf("open: %d %s", code, body)
	}
	body, _ := json.Marshal(a)
	code, resp := post(t, c, url+"/api/s/"+id+"/run", string(body))
	if code != 200 {
		t.Fatalf("run: %d %s", code, resp)
	}
	var r struct{ Run int }
	if err := json.Unmarshal([]byte(resp), &r); err != nil {
		t.Fatal(err)
	}
	return next, r.Run
}

// poolProbe counts the frames processed at once over all runs, and per dataset.
type poolProbe struct {
	running, peak atomic.Int32
	mu            sync.Mutex
	order         []int // dataset of each processed frame, in order
}

// probeFrames sums each frame (times scale, so the two datasets differ) and
// records it in the probe.
type probeFrames struct {
	p     *poolProbe
	which int
}

func (probeFrames) ResultBuffers(*udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{udf.NavBuffer("intensity", array.Float32)}
}

func (u probeFrames) ProcessFrame(env *udf.Env, frame array.Array) error {
	n := u.p.running.Add(1)
	defer u.p.running.Add(-1)
	for {
		pk := u.p.peak.Load()
		if n <= pk || u.p.peak.CompareAndSwap(pk, n) {
			break
		}
	}
	time.Sleep(300 * time.Microsecond)
	u.p.mu.Lock()
	u.p.order = append(u.p.order, u.which)
	u.p.mu.Unlock()
	var s float32
	for _, v := range frame.(*array.Dense[float32]).Data() {
		s += v
	}
	udf.F32(env, 0).Data()[0] += s
	return nil
}

// TestTwoDatasetsSharePool: two tabs run over two datasets at once on the server's
// pool of 2 workers: never more than 2 frames compute at once, both runs make
// progress before either ends (neither starves), and both images are right.
func TestTwoDatasetsSharePool(t *testing.T) {
	f := newFixture(t)
	other := make([]float32, len(f.data))
	for i, v := range f.data {
		other[i] = 2*v + 1
	}
	if err := array.WriteNPYFile(filepath.Join(f.dir, "other.npy"), array.Wrap(other, f.ny, f.nx, f.sy, f.sx)); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Dir: f.dir, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	probe := &poolProbe{}
	srv.testHookUDF = func(a Analysis, u udf.UDF) udf.UDF {
		if a.Kind == "rect" {
			return probeFrames{p: probe, which: a.Rect.Y0}
		}
		return u
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := hs.Client()
	// Rect.Y0 tells the probe which dataset a frame belongs to.
	a := Analysis{Kind: "rect", Rect: &Rect{Y0: 0, X0: 0, Y1: 2, X1: 2}, Regression: -1}
	b := Analysis{Kind: "rect", Rect: &Rect{Y0: 1, X0: 0, Y1: 2, X1: 2}, Regression: -1}
	nextA, idA := startRun(t, ctx, c, hs.URL, "sample.npy", a)
	nextB, idB := startRun(t, ctx, c, hs.URL, "other.npy", b)
	gotA := finalImage(t, nextA, idA)
	gotB := finalImage(t, nextB, idB)
	wantA, wantB := make([]float64, f.ny*f.nx), make([]float64, f.ny*f.nx)
	for p := range wantA {
		for _, v := range f.frame(p/f.nx, p%f.nx) {
			wantA[p] += float64(v)
			wantB[p] += float64(2*v + 1)
		}
	}
	near(t, "sample frame sums", gotA, wantA, 1e-5)
	near(t, "other frame sums", gotB, wantB, 1e-5)
	if pk := probe.peak.Load(); pk > 2 {
		t.Fatalf("%d frames computed at once on a pool of 2 workers", pk)
	}
	// Before the first run's last frame, the other run had computed frames too.
	probe.mu.Lock()
	defer probe.mu.Unlock()
	lastOf := [2]int{}
	count := [2]int{}
	for i, w := range probe.order {
		lastOf[w] = i
		count[w]++
	}
	if count[0] != f.ny*f.nx || count[1] != f.ny*f.nx {
		t.Fatalf("frames computed %v, want %d each", count, f.ny*f.nx)
	}
	first := 0
	if lastOf[1] < lastOf[0] {
		first = 1
	}
	before := 0
	for _, w := range probe.order[:lastOf[first]] {
		if w != first {
			before++
		}
	}
	if before < f.ny*f.nx/4 {
		t.Fatalf("run %d ended after only %d frames of the other run: it starved the other", first, before)
	}
	if srv.pool.InUse() != 0 {
		t.Fatalf("%d pool slots in use after the runs", srv.pool.InUse())
	}
}

// TestDeviceCacheServe: with a device (the CPU emulator of the CUDA kernels, as
// no GPU is needed), detector runs take the device path, the second run is served
// from the device cache, and the images equal a direct loop.
func TestDeviceCacheServe(t *testing.T) {
	f := newFixture(t)
	emu := &cuda.Emulator{Label: "emu"}
	srv, err := New(Config{Dir: f.dir, Workers: 2, Partitions: 4,
		Devices: []udf.Device{{Name: "emu:0", Execs: []cuda.Exec{emu}, Only: true}}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := hs.Client()
	sid, next := stream(t, ctx, c, hs.URL)
	if code, body := post(t, c, hs.URL+"/api/s/"+sid+"/open", `{"path":"sample.npy"}`); code != 200 {
		t.Fatalf("open: %d %s", code, body)
	}
	cache := srv.devices[0].Cache
	for i, r := range []float64{6, 11} {
		body, _ := json.Marshal(Analysis{Kind: "disk", CY: 32, CX: 32, R: r, Regression: -1})
		code, resp := post(t, c, hs.URL+"/api/s/"+sid+"/run", string(body))
		if code != 200 {
			t.Fatalf("run: %d %s", code, resp)
		}
		var rr struct{ Run int }
		if err := json.Unmarshal([]byte(resp), &rr); err != nil {
			t.Fatal(err)
		}
		near(t, fmt.Sprintf("disk r=%g on the device", r), finalImage(t, next, rr.Run), f.disk(32, 32, r), 1e-5)
		hits, misses := cache.Stats()
		switch {
		case i == 0 && (misses == 0 || hits != 0):
			t.Fatalf("first run: %d cache hits, %d misses; want reads into the cache", hits, misses)
		case i == 1 && hits == 0:
			t.Fatalf("second run: %d cache hits, %d misses; want hits", hits, misses)
		}
	}
	if _, n := cache.Used(); n == 0 {
		t.Fatal("nothing cached on the device")
	}
	cancel() // closes the tab: its dataset's cached partitions are freed
	for start := time.Now(); ; time.Sleep(5 * time.Millisecond) {
		if _, n := cache.Used(); n == 0 {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("the closed tab's partitions stay cached")
		}
	}
}
