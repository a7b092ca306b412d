package cluster

import (
	"context"
	"errors"
	"testing"
	"time"
	"unsafe"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/udf"
)

func TestInlineLimit(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cfg        int
		maxPayload int64
		want       int
	}{
		{"configured wins", 1000, 1 << 20, 1000},
		{"default nats-server (1 MiB)", 0, 1 << 20, 1<<20 - 64<<10},
		{"stemflow server (8 MiB), capped at 4 MiB", 0, 8 << 20, 4 << 20},
		{"tiny server: at least 64 KiB", 0, 100 << 10, 64 << 10},
	} {
		if got := inlineLimit(tc.cfg, tc.maxPayload); got != tc.want {
			t.Errorf("%s: inlineLimit(%d, %d) = %d, want %d", tc.name, tc.cfg, tc.maxPayload, got, tc.want)
		}
	}
}

func TestRemotePartitions(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name               string
		bytes              int64
		frames, slots, per int
		want               int
	}{
		{"1 GiB, 2 slots: 64 MiB each", 1024 * mib, 16384, 2, 64 * mib, 16},
		{"1 GiB, 1 slot", 1024 * mib, 16384, 1, 64 * mib, 16},
		{"1 GiB, 3 slots: rounded up to a multiple of 3", 1024 * mib, 16384, 3, 64 * mib, 18},
		{"1 GiB, 16 slots: 4 per slot", 1024 * mib, 16384, 16, 64 * mib, 64},
		{"1 GiB, 32 MiB partitions", 1024 * mib, 16384, 2, 32 * mib, 32},
		{"no idle slot seen: by size alone (and at least 4)", 10 * mib, 1000, 0, 32 * mib, 4},
		{"partial last partition rounds up", 33 * mib, 1000, 1, 32 * mib, 4},
		{"capped at the frame count", 1024 * mib, 10, 2, 32 * mib, 10},
		{"empty dataset: one partition", 0, 0, 2, 32 * mib, 1},
	} {
		if got := remotePartitions(tc.bytes, tc.frames, tc.slots, tc.per); got != tc.want {
			t.Errorf("%s: remotePartitions(%d, %d, %d, %d) = %d, want %d", tc.name, tc.bytes, tc.frames, tc.slots, tc.per, got, tc.want)
		}
	}
}

// TestAutomaticPartitions: a run without a partition count gets 4 tasks per idle
// worker slot (the 72-frame file is far below 32 MiB) and equals the local run with
// that count.
func TestAutomaticPartitions(t *testing.T) {
	f := newFixture(t, []int{8, 9}, []int{16, 16})
	startWorker(t, f.srv.URL(), "w1", f.dir, 2)
	startWorker(t, f.srv.URL(), "w2", f.dir, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		n, err := f.c.IdleSlots(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 3 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("IdleSlots = %d, want 3 (2 + 1 worker slots)", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	reg := testRegistry("1")
	spec := f.spec([]UDFSpec{{Name: "stddev"}, {Name: "scaled", Params: scaled{Factor: 2}}}, udf.Options{})
	j, err := f.c.Open(ctx, reg, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if got := j.Options().NumPartitions; got != 12 {
		t.Fatalf("NumPartitions = %d, want 12 (4 per idle slot, 3 slots)", got)
	}
	got, err := udf.Run(ctx, j.Dataset(), j.UDFs(), j.Options())
	if err != nil {
		t.Fatal(err)
	}
	sameResults(t, "automatic partitions", local(t, reg, f.spec(spec.UDFs, udf.Options{NumPartitions: 12})), got)

	// an explicit count is kept
	j2, err := f.c.Open(ctx, reg, f.spec(spec.UDFs, udf.Options{NumPartitions: 5}))
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	if got := j2.Options().NumPartitions; got != 5 {
		t.Errorf("explicit NumPartitions 5 became %d", got)
	}
}

// TestObjectStoreResults: results above InlineLimit travel through the Object Store
// and give the same bytes as inline ones and as the local run.
func TestObjectStoreResults(t *testing.T) {
	f := newFixture(t, []int{6, 5}, []int{16, 16})
	startWorker(t, f.srv.URL(), "w1", f.dir, 2)
	cfg := testConfig
	cfg.InlineLimit = 1 // every payload through the Object Store
	c, err := NewClient(context.Background(), f.nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	reg := testRegistry("1")
	spec := f.spec([]UDFSpec{{Name: "stddev"}, {Name: "sumsig"}}, udf.Options{NumPartitions: 4})
	want := local(t, reg, spec)
	got, err := Run(context.Background(), c, reg, spec)
	if err != nil {
		t.Fatal(err)
	}
	sameResults(t, "object store", want, got)
	// the driver deletes every result object it fetched
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	objs, err := c.obj.List(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		t.Fatal(err)
	}
	for _, o := range objs {
		if len(o.Name) > 7 && o.Name[:7] == "result." {
			t.Errorf("result object %s left in the bucket", o.Name)
		}
	}
}

// TestDecodeInPlace: buffers of a result message copied into a fresh allocation (as
// the NATS client hands it over) are decoded in place; the same message at an odd
// address is copied, with equal values.
func TestDecodeInPlace(t *testing.T) {
	in := [][]array.Array{
		{array.Wrap([]int64{7}, 1), array.Wrap([]float64{1.5, -2, 3e300, 4}, 2, 2)},
		{array.Wrap([]float32{1, 2, 3}, 3), array.Wrap([]uint8{9, 8}, 2)},
	}
	hdr, payload, err := encodeBuffers(in)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := frame(wireResult{Job: "j", Bufs: hdr, Size: len(payload)}, payload)
	if err != nil {
		t.Fatal(err)
	}
	for _, shift := range []int{0, 1} {
		buf := make([]byte, len(msg)+shift)
		m := buf[shift:]
		copy(m, msg)
		var h wireResult
		p, err := unframe(m, &h)
		if err != nil {
			t.Fatal(err)
		}
		out, err := decodeBuffers(h.Bufs, p)
		if err != nil {
			t.Fatal(err)
		}
		f64 := out[0][1].(*array.Dense[float64]).Data()
		if out[0][0].(*array.Dense[int64]).Data()[0] != 7 || f64[2] != 3e300 || f64[3] != 4 ||
			out[1][0].(*array.Dense[float32]).Data()[2] != 3 || out[1][1].(*array.Dense[uint8]).Data()[1] != 8 {
			t.Errorf("shift %d: decoded %v", shift, out)
		}
		inside := uintptr(unsafe.Pointer(&f64[0])) >= uintptr(unsafe.Pointer(&m[0])) &&
			uintptr(unsafe.Pointer(&f64[0])) < uintptr(unsafe.Pointer(&m[0]))+uintptr(len(m))
		if want := shift == 0; inside != want {
			t.Errorf("shift %d: float64 buffer inside the message = %v, want %v", shift, inside, want)
		}
	}
}
