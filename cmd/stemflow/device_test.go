package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends/cuda"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

func TestCacheFlag(t *testing.T) {
	for _, c := range []struct {
		in    string
		on    bool
		limit int64
		bad   bool
	}{
		{"true", true, 0, false}, {"on", true, 0, false}, {"off", false, 0, false}, {"false", false, 0, false},
		{"1048576", true, 1 << 20, false}, {"512MiB", true, 512 << 20, false}, {"8GiB", true, 8 << 30, false},
		{"8G", true, 8 << 30, false}, {"2k", true, 2048, false}, {"1.5GiB", true, 3 << 29, false}, {"1TB", true, 1 << 40, false},
		{"", false, 0, true}, {"-1G", false, 0, true}, {"lots", false, 0, true}, {"0.0", false, 0, true}, {"GiB", false, 0, true},
		{"1e30", false, 0, true},
	} {
		var f cacheFlag
		err := f.Set(c.in)
		if (err != nil) != c.bad {
			t.Errorf("Set(%q): error %v, want error %v", c.in, err, c.bad)
			continue
		}
		if !c.bad && (f.on != c.on || f.limit != c.limit) {
			t.Errorf("Set(%q) = %+v, want on %v limit %d", c.in, f, c.on, c.limit)
		}
	}
}

// TestDeviceCacheCLIErrors: --device-cache without a GPU (STEMFLOW_CUDA=off) and with
// --device cpu is refused with a message naming the flag, before anything is read.
func TestDeviceCacheCLIErrors(t *testing.T) {
	f := getFixture(t)
	t.Setenv("STEMFLOW_CUDA", "off")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--device-cache", "--device", "cpu"}, "--device-cache keeps frames in GPU memory: it needs --device cuda or auto"},
		{[]string{"--device-cache"}, "--device-cache: no usable CUDA GPU"},
		{[]string{"--device-cache=4GiB", "--device", "cuda"}, "--device-cache: no usable CUDA GPU"},
		{[]string{"--device-cache=lots"}, "want a positive size"},
	} {
		args := append([]string{"run", f.npy, "--out", t.TempDir()}, c.args...)
		o := stemflow(t, "", args...)
		if o.code == 0 || !strings.Contains(o.stderr, c.want) {
			t.Errorf("stemflow %q: exit %d, stderr %q; want a failure saying %q", args, o.code, o.stderr, c.want)
		}
	}
}

// TestDeviceSetClose: the caches of a device set report what they held and how many
// reads they served, then free every byte on the (emulated) device.
func TestDeviceSetClose(t *testing.T) {
	x0, x1 := &cuda.Emulator{}, &cuda.Emulator{}
	cache := &udf.DeviceCache{Limit: 1 << 30}
	dev := udf.Device{Name: "emu:0", Only: true, Execs: []cuda.Exec{x0, x1}, Cache: cache}
	v := make([]uint16, 4*5*6*7)
	for i := range v {
		v[i] = uint16(i % 1000)
	}
	ds, err := dataset.NewMemory(array.Wrap(v, 4, 5, 6, 7), dataset.MemoryOptions{NumPartitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := udf.RunOne(context.Background(), ds, udfs.Sum{}, udf.Options{Workers: 2, Devices: []udf.Device{dev}}); err != nil {
			t.Fatal(err)
		}
	}
	var w bytes.Buffer
	set := &deviceSet{execs: []cuda.Exec{x0, x1}, caches: []*udf.DeviceCache{cache}, names: []string{"emu:0"}}
	if err := set.close(&w); err != nil {
		t.Fatal(err)
	}
	want := "stemflow: emu:0 device cache: 2 partitions, 1.6 KiB of device memory (limit 1.0 GiB); 2 of 4 partition reads served from it; freed\n"
	if w.String() != want {
		t.Errorf("report %q, want %q", w.String(), want)
	}
	if a := x0.Allocated.Load() + x1.Allocated.Load(); a != 0 {
		t.Errorf("%d bytes left allocated on the device after close", a)
	}
}
