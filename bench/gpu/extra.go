package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

// diskCSR returns nm centred disks of growing radius on a side×side frame as CSR rows.
func diskCSR(side, nm int) (ptr, idx []int32, val []float64) {
	ptr = []int32{0}
	c := float64(side / 2)
	for m := 0; m < nm; m++ {
		r := float64(4 + 3*m)
		for y := 0; y < side; y++ {
			for x := 0; x < side; x++ {
				if dy, dx := float64(y)-c, float64(x)-c; dy*dy+dx*dx <= r*r {
					idx, val = append(idx, int32(y*side+x)), append(val, 1)
				}
			}
		}
		ptr = append(ptr, int32(len(idx)))
	}
	return ptr, idx, val
}

func i32Raw(v []int32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.NativeEndian.AppendUint32(b, uint32(x))
	}
	return b
}

func f64Raw(v []float64) []byte {
	b := make([]byte, 0, 8*len(v))
	for _, x := range v {
		b = binary.NativeEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

func everyOther(frames int) []byte {
	b := make([]byte, 0, 8*(frames/2))
	for k := 0; k < frames/2; k++ {
		b = binary.NativeEndian.AppendUint64(b, uint64(2*k))
	}
	return b
}

// sparseMasks turns float32 dense mask factories into CSR ones (ApplyMasks' sparse path).
func sparseMasks(fs []udfs.MaskFactory) []udfs.MaskFactory {
	out := make([]udfs.MaskFactory, len(fs))
	for i, f := range fs {
		out[i] = func(sig []int) (array.Array, error) {
			m, err := f(sig)
			if err != nil {
				return nil, err
			}
			return array.CSRFromDense[float32, int32](m.(*array.Dense[float32]))
		}
	}
	return out
}

// bigEndian is a uint16 dataset stored big-endian (as MIB U16 is): ReadTiles hands
// out native tiles (the CPU path's host decode is not measured here), ReadRawTiles the
// stored bytes, which the device path uploads and decodes with swap_bytes.
type bigEndian struct {
	dataset.Dataset
	raw        []byte // the frames big-endian, flat nav order
	frameBytes int
}

func (b *bigEndian) RawByteOrder() (binary.ByteOrder, bool) { return binary.BigEndian, true }

func (b *bigEndian) ReadRawTiles(ctx context.Context, p dataset.Partition, req dataset.TileRequest, fn func(*dataset.Tile, []byte) error) error {
	if req.ROI != nil {
		return fmt.Errorf("bigEndian: no ROI in this check")
	}
	return b.Dataset.ReadTiles(ctx, p, req, func(t *dataset.Tile) error {
		o, d := t.Slice.Origin[0], t.Slice.Shape.Dim(0)
		return fn(t, b.raw[o*b.frameBytes:(o+d)*b.frameBytes])
	})
}

// extraRows prints the Pick and big-endian rows: CPU only, GPU only and hybrid GB/s
// and the largest difference of the GPU result from the CPU one.
func extraRows(ctx context.Context, data []float32, ny, nx, side, reps int, hybrid, only []udf.Device) error {
	npix := side * side
	u16 := make([]uint16, len(data))
	raw := make([]byte, 2*len(data))
	for i, v := range data {
		u16[i] = uint16(v)
		binary.BigEndian.PutUint16(raw[2*i:], u16[i])
	}
	mem, err := dataset.NewMemory(array.Wrap(u16, ny, nx, side, side), dataset.MemoryOptions{})
	if err != nil {
		return err
	}
	be := &bigEndian{Dataset: mem, raw: raw, frameBytes: 2 * npix}
	roi := make([]bool, ny*nx)
	picked := 0
	for i := 0; i < 64 && i*37 < len(roi); i++ {
		roi[i*37] = true
		picked++
	}
	rows := []struct {
		name  string
		ds    dataset.Dataset
		u     udf.UDF
		roi   array.Array
		bytes int64
	}{
		{"pick (64 frames, uint16)", mem, udfs.Pick{}, array.Wrap(roi, len(roi)), int64(picked * 2 * npix)},
		{"sum, big-endian uint16 (raw upload + swap_bytes)", be, udfs.Sum{}, nil, int64(len(raw))},
	}
	for _, r := range rows {
		var res [3]*udf.Result
		var dur [3]time.Duration
		for i, devs := range [][]udf.Device{nil, only, hybrid} {
			opts := udf.Options{Devices: devs, ROI: r.roi}
			if _, err := udf.RunOne(ctx, r.ds, r.u, opts); err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			if dur[i], err = timeIt(reps, func() error {
				res[i], err = udf.RunOne(ctx, r.ds, r.u, opts)
				return err
			}); err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
		}
		fmt.Printf("| %s | %.1f | %.1f | %.1f | %.2f | %s |\n", r.name, gbps(r.bytes, dur[0]), gbps(r.bytes, dur[1]), gbps(r.bytes, dur[2]),
			dur[0].Seconds()/dur[2].Seconds(), verdict(maxRelDiff(res[0], res[1])))
	}
	return nil
}

// verdict formats a GPU-vs-CPU difference, flagging one beyond float32 rounding of
// the CPU path's accumulation.
func verdict(d float64) string {
	if d > 1e-5 || math.IsNaN(d) {
		return fmt.Sprintf("%.1e MISMATCH", d)
	}
	return fmt.Sprintf("%.1e", d)
}

// cachedRows prints the engine's runs from device-resident frames: the GPU-only
// devices get a DeviceCache, one run fills it, the timed runs read nothing.
// It returns the caches' description (printed after the table).
func cachedRows(ctx context.Context, ds dataset.Dataset, bytes int64, reps int, only []udf.Device, us map[string]udf.UDF, order []string) (desc string, err error) {
	devs := make([]udf.Device, len(only))
	var caches []*udf.DeviceCache
	for i, d := range only {
		d.Cache = &udf.DeviceCache{}
		caches = append(caches, d.Cache)
		devs[i] = d
	}
	defer func() {
		for _, c := range caches {
			err = errors.Join(err, c.Clear())
		}
	}()
	for _, name := range order {
		u := us[name]
		want, err := udf.RunOne(ctx, ds, u, udf.Options{})
		if err != nil {
			return "", err
		}
		opts := udf.Options{Devices: devs}
		if _, err := udf.RunOne(ctx, ds, u, opts); err != nil { // fills the cache
			return "", fmt.Errorf("%s from the cache: %w", name, err)
		}
		var got *udf.Result
		d, err := timeIt(reps, func() error {
			got, err = udf.RunOne(ctx, ds, u, opts)
			return err
		})
		if err != nil {
			return "", fmt.Errorf("%s from the cache: %w", name, err)
		}
		fmt.Printf("| %s, device-resident (--device-cache, 2nd+ run) | – | %.1f | – | – | %s |\n", name, gbps(bytes, d), verdict(maxRelDiff(want, got)))
	}
	return caches[0].String(), nil
}
