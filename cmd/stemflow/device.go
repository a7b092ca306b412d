package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/stemflow/stemflow/backends/cuda"
	"github.com/stemflow/stemflow/udf"
)

// deviceOpts are the GPU flags of run.
type deviceOpts struct {
	device  string // cpu, cuda, auto
	streams int
}

func (d *deviceOpts) register(fs *flag.FlagSet) {
	fs.StringVar(&d.device, "device", "auto", "where partitions run: cpu, cuda (GPU streams only), or auto (GPU streams beside the CPU workers when a CUDA GPU is found, else CPU)")
	fs.IntVar(&d.streams, "device-streams", 2, "CUDA streams per GPU (1–8): partitions processed at once on each GPU")
}

// openDevices returns the run's devices for the --device mode and a function that
// releases them. auto without a usable GPU (or with STEMFLOW_CUDA=off) is the CPU;
// cuda without one is an error naming why.
func openDevices(d deviceOpts) ([]udf.Device, func() error, error) {
	none := func() error { return nil }
	switch d.device {
	case "cpu", "": // "": commands without the flag (info)
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
		if d.device == "auto" {
			return nil, none, nil
		}
		return nil, none, fmt.Errorf("--device cuda: %w", err)
	}
	var out []udf.Device
	var execs []cuda.Exec
	closeAll := func() error {
		var errs []error
		for _, x := range execs {
			errs = append(errs, x.Close())
		}
		return errors.Join(errs...)
	}
	for _, dev := range devs {
		ud := udf.Device{Name: fmt.Sprintf("cuda:%d", dev.Ordinal), Only: d.device == "cuda"}
		for range d.streams {
			x, err := cuda.NewStreamExec(dev)
			if err != nil {
				err = errors.Join(err, closeAll())
				if d.device == "auto" {
					return nil, none, nil
				}
				return nil, none, fmt.Errorf("--device cuda: %v: %w", dev, err)
			}
			execs = append(execs, x)
			ud.Execs = append(ud.Execs, x)
		}
		out = append(out, ud)
	}
	return out, closeAll, nil
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
