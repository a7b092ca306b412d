package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/stemflow/stemflow/backends/cuda"
	"github.com/stemflow/stemflow/udf"
)

// deviceOpts are the GPU flags of run.
type deviceOpts struct {
	device  string // cpu, cuda, auto
	streams int
	cache   cacheFlag
}

func (d *deviceOpts) register(fs *flag.FlagSet) {
	fs.StringVar(&d.device, "device", "auto", "where partitions run: cpu, cuda (GPU streams only), or auto (GPU streams beside the CPU workers when a CUDA GPU is found, else CPU)")
	fs.IntVar(&d.streams, "device-streams", 2, "CUDA streams per GPU (1–8): partitions processed at once on each GPU")
	fs.Var(&d.cache, "device-cache", "keep the frames each GPU reads in its memory for later runs in this process (serve: re-runs of a tab; run: the pick specs after the main pass), at most `SIZE` per GPU (e.g. 8GiB; bare: half the GPU's free memory); prints what it held at exit; needs a GPU")
}

// cacheFlag is --device-cache: off, on (no size: half the free device memory), or a
// byte limit.
type cacheFlag struct {
	on    bool
	limit int64 // 0 with on: half the free memory of each GPU
}

// IsBoolFlag lets --device-cache stand alone.
func (c *cacheFlag) IsBoolFlag() bool { return true }

func (c *cacheFlag) String() string {
	switch {
	case c == nil || !c.on:
		return "off"
	case c.limit == 0:
		return "on"
	}
	return fmt.Sprint(c.limit)
}

// Set accepts true/on, false/off, or a size: bytes or a number with K, M, G, T (powers
// of 1024, optional "iB" or "B").
func (c *cacheFlag) Set(v string) error {
	switch strings.ToLower(v) {
	case "true", "on", "1":
		*c = cacheFlag{on: true}
		return nil
	case "false", "off", "0":
		*c = cacheFlag{}
		return nil
	}
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	*c = cacheFlag{on: true, limit: n}
	return nil
}

// parseSize parses "512MiB", "8G", "1.5GiB", "1048576".
func parseSize(v string) (int64, error) {
	s := strings.ToUpper(strings.TrimSpace(v))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "B"), "I")
	mult := 1.0
	if s != "" {
		if i := strings.IndexByte("KMGT", s[len(s)-1]); i >= 0 {
			mult = math.Pow(1024, float64(i+1))
			s = s[:len(s)-1]
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || f*mult >= math.MaxInt64 {
		return 0, fmt.Errorf("want a positive size such as 8GiB, 512MiB or a byte count, got %q", v)
	}
	return int64(f * mult), nil
}

// openDevices returns the run's devices for the --device mode and a function that
// releases them. auto without a usable GPU (or with STEMFLOW_CUDA=off) is the CPU;
// cuda without one is an error naming why, and so is --device-cache without one. With
// --device-cache each GPU gets a udf.DeviceCache; the release function reports on w
// what each cache held and frees it before closing the streams.
func openDevices(d deviceOpts, w io.Writer) ([]udf.Device, func() error, error) {
	none := func() error { return nil }
	switch d.device {
	case "cpu", "": // "": commands without the flag (info)
		if d.cache.on {
			return nil, none, usagef("--device-cache keeps frames in GPU memory: it needs --device cuda or auto, not cpu")
		}
		return nil, none, nil
	case "cuda", "auto":
	default:
		return nil, none, usagef("--device %q: want cpu, cuda or auto", d.device)
	}
	if d.streams < 1 || d.streams > 8 {
		return nil, none, usagef("--device-streams %d: want 1 to 8", d.streams)
	}
	devs, err := cuda.Devices()
	if err == nil && len(devs) == 0 {
		err = cuda.LoadError()
	}
	if err != nil {
		if d.cache.on {
			return nil, none, fmt.Errorf("--device-cache: no usable CUDA GPU: %w", err)
		}
		if d.device == "auto" {
			return nil, none, nil
		}
		return nil, none, fmt.Errorf("--device cuda: %w", err)
	}
	var out []udf.Device
	set := &deviceSet{}
	closeAll := func() error { return set.close(w) }
	for _, dev := range devs {
		ud := udf.Device{Name: fmt.Sprintf("cuda:%d", dev.Ordinal), Only: d.device == "cuda"}
		if d.cache.on {
			limit := d.cache.limit
			if limit == 0 {
				free, _, err := dev.MemInfo()
				if err != nil {
					return nil, none, errors.Join(fmt.Errorf("--device-cache: %v: %w", dev, err), closeAll())
				}
				limit = int64(free / 2)
			}
			ud.Cache = &udf.DeviceCache{Limit: limit}
			set.caches = append(set.caches, ud.Cache)
			set.names = append(set.names, ud.Name)
		}
		for range d.streams {
			x, err := cuda.NewStreamExec(dev)
			if err != nil {
				err = errors.Join(err, closeAll())
				if d.device == "auto" && !d.cache.on {
					return nil, none, nil
				}
				flagName := "--device cuda"
				if d.cache.on {
					flagName = "--device-cache"
				}
				return nil, none, fmt.Errorf("%s: %v: %w", flagName, dev, err)
			}
			set.execs = append(set.execs, x)
			ud.Execs = append(ud.Execs, x)
		}
		out = append(out, ud)
	}
	return out, closeAll, nil
}

// deviceSet is what openDevices opened: the streams and the caches of the GPUs.
type deviceSet struct {
	execs  []cuda.Exec
	caches []*udf.DeviceCache
	names  []string // the device of each cache
}

// close reports on w what each cache that was used held and how many partition reads
// it served, frees its device memory, then closes the streams.
func (s *deviceSet) close(w io.Writer) error {
	var errs []error
	for i, c := range s.caches {
		if h, m := c.Stats(); w != nil && h+m > 0 {
			fmt.Fprintf(w, "stemflow: %s %s; %d of %d partition reads served from it; freed\n", s.names[i], c, h, h+m)
		}
		errs = append(errs, c.Clear())
	}
	for _, x := range s.execs {
		errs = append(errs, x.Close())
	}
	return errors.Join(errs...)
}

// describeDevices writes the CUDA devices found (for stemflow info).
func describeDevices(w io.Writer) {
	devs, err := cuda.Devices()
	if err == nil && len(devs) == 0 {
		err = cuda.LoadError()
	}
	if err != nil {
		fmt.Fprintf(w, "gpu: none (%v)\n", err)
		return
	}
	v, _ := cuda.DriverVersion()
	fmt.Fprintf(w, "gpu: CUDA driver %d.%d\n", v/1000, v%1000/10)
	for _, d := range devs {
		free, total, err := d.MemInfo()
		if err != nil {
			fmt.Fprintf(w, "  %v\n", d)
			continue
		}
		fmt.Fprintf(w, "  %v, %.1f of %.1f GiB free\n", d, float64(free)/(1<<30), float64(total)/(1<<30))
	}
}
