// Command clustergen writes the input files of bench/cluster.sh: a float32 .npy
// stack of frames (streamed, so a 1 GiB file needs no 1 GiB of memory) and a
// float32 .npy stack of masks.
//
//	clustergen data PATH NY NX SY SX   # (NY, NX, SY, SX) float32 frames
//	clustergen masks PATH N SY SX      # (N, SY, SX) float32 masks
//
// Values are a cheap deterministic pattern (small integers, exact in float32), so
// every UDF computes something and reruns give identical files.
package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "clustergen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: clustergen data PATH NY NX SY SX | masks PATH N SY SX")
	}
	dims := make([]int, 0, 4)
	for _, a := range args[2:] {
		n, err := strconv.Atoi(a)
		if err != nil || n <= 0 {
			return fmt.Errorf("dimension %q: want a positive integer", a)
		}
		dims = append(dims, n)
	}
	switch {
	case args[0] == "data" && len(dims) == 4:
		return write(args[1], dims, func(idx, i, j int) float32 { return float32((i*31 + j*17 + idx*7) % 251) })
	case args[0] == "masks" && len(dims) == 3:
		return write(args[1], dims, func(idx, i, j int) float32 { return float32((i + j + idx) % 3) })
	}
	return fmt.Errorf("usage: clustergen data PATH NY NX SY SX | masks PATH N SY SX (got %q)", args)
}

// write streams a float32 .npy file of shape dims whose element (frame idx, row i,
// column j) is v(idx, i, j); the last two dims are the frame. It writes to a
// temporary file and renames it, so an interrupted run leaves no half file.
func write(path string, dims []int, v func(idx, i, j int) float32) error {
	shape := make([]string, len(dims))
	frames := 1
	for k, d := range dims {
		shape[k] = strconv.Itoa(d)
		if k < len(dims)-2 {
			frames *= d
		}
	}
	sy, sx := dims[len(dims)-2], dims[len(dims)-1]
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", strings.Join(shape, ", "))
	// magic (6) + version (2) + header length (2) + dict + '\n', padded to 64 bytes
	pad := 64 - (10+len(dict)+1)%64
	if pad == 64 {
		pad = 0
	}
	hdr := []byte("\x93NUMPY\x01\x00")
	hdr = binary.LittleEndian.AppendUint16(hdr, uint16(len(dict)+pad+1))
	hdr = append(hdr, dict...)
	hdr = append(hdr, strings.Repeat(" ", pad)...)
	hdr = append(hdr, '\n')

	tmp, err := os.CreateTemp(filepath.Dir(path), ".clustergen-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	w := bufio.NewWriterSize(tmp, 1<<20)
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	frame := make([]byte, 4*sy*sx)
	for idx := range frames {
		for i := range sy {
			for j := range sx {
				binary.LittleEndian.PutUint32(frame[4*(i*sx+j):], math.Float32bits(v(idx, i, j)))
			}
		}
		if _, err := w.Write(frame); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}
