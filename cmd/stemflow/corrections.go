package main

import (
	"flag"
	"fmt"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// corrFlags are the detector-correction flags: .npy files of a dark frame, a gain map
// and excluded pixels.
type corrFlags struct {
	dark, gain, excluded string
	// noFile turns off the corrections a format carries (FRMS6 dark frames, SEQ
	// dark/gain references).
	noFile bool
}

// skipFile reports whether the format's own corrections are off: asked for, or replaced
// by the user's.
func (c corrFlags) skipFile() bool {
	return c.noFile || c.dark != "" || c.gain != "" || c.excluded != ""
}

func (c *corrFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.dark, "dark", "", "dark frame .npy (one value per detector pixel) subtracted from every frame; tiles become float32")
	fs.StringVar(&c.gain, "gain", "", "gain map .npy (one value per detector pixel) multiplying every frame after the dark subtraction")
	fs.BoolVar(&c.noFile, "no-file-corrections", false, "do not apply the corrections a format carries itself (frms6 dark frames and _gain.mat/_gain.csv gain map, seq .dark.mrc/.gain.mrc and bad-pixel map); --dark/--gain/--excluded replace them anyway")
	fs.StringVar(&c.excluded, "excluded", "", "excluded pixels .npy: a bool mask of the detector shape, or integer (2, k) coordinates (row; column); each is replaced by the mean of its non-excluded 3x3 neighbours")
}

// applyCorrections wraps ds with the corrections the flags name (none: ds as is). On
// error ds is closed.
func applyCorrections(ds dataset.Dataset, c corrFlags) (dataset.Dataset, error) {
	if c.dark == "" && c.gain == "" && c.excluded == "" {
		return ds, nil
	}
	sig := ds.Shape().Sig()
	n := ds.Shape().SigSize()
	var cs dataset.Corrections
	var err error
	load := func(flagName, path string) ([]float64, error) {
		a, err := array.ReadNPYFile(path)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", flagName, err)
		}
		if a.Size() != n {
			return nil, usagef("--%s %s: shape %v has %d elements, the detector %v has %d", flagName, path, a.Shape(), a.Size(), sig, n)
		}
		f, err := array.Convert(a, array.Float64)
		if err != nil {
			return nil, fmt.Errorf("--%s %s: %w", flagName, path, err)
		}
		d, ok := f.(*array.Dense[float64])
		if !ok {
			return nil, fmt.Errorf("--%s %s: unexpected array type %T", flagName, path, f)
		}
		return append([]float64(nil), d.Data()...), nil
	}
	fail := func(err error) (dataset.Dataset, error) {
		_ = ds.Close()
		return nil, err
	}
	if c.dark != "" {
		if cs.Dark, err = load("dark", c.dark); err != nil {
			return fail(err)
		}
	}
	if c.gain != "" {
		if cs.Gain, err = load("gain", c.gain); err != nil {
			return fail(err)
		}
	}
	if c.excluded != "" {
		a, err := array.ReadNPYFile(c.excluded)
		if err != nil {
			return fail(fmt.Errorf("--excluded: %w", err))
		}
		switch {
		case a.DType() == array.Bool && a.Size() == n:
			b, _ := array.Convert(a, array.Bool)
			cs.Excluded = append([]bool(nil), b.(*array.Dense[bool]).Data()...)
		case a.DType().Kind() == array.KindInt || a.DType().Kind() == array.KindUint:
			sh := a.Shape()
			if len(sh) != 2 || sh[0] != len(sig) {
				return fail(usagef("--excluded %s: integer coordinates must have shape (%d, k), got %v", c.excluded, len(sig), sh))
			}
			f, err := array.Convert(a, array.Int64)
			if err != nil {
				return fail(fmt.Errorf("--excluded %s: %w", c.excluded, err))
			}
			v := f.(*array.Dense[int64]).Data()
			coords := make([][]int, sh[0])
			for d := range coords {
				for i := range sh[1] {
					coords[d] = append(coords[d], int(v[d*sh[1]+i]))
				}
			}
			if cs.Excluded, err = dataset.ExcludedFromCoords(sig, coords); err != nil {
				return fail(fmt.Errorf("--excluded %s: %w", c.excluded, err))
			}
		default:
			return fail(usagef("--excluded %s: want a bool mask of %d elements or integer (%d, k) coordinates, got %v %v", c.excluded, n, len(sig), a.DType(), a.Shape()))
		}
	}
	cds, err := dataset.WithCorrections(ds, cs)
	if err != nil {
		return fail(err)
	}
	return cds, nil
}
