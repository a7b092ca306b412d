// Command oneshot is the reference of the whole-process benchmark (bench/oneshot.sh):
//
//	oneshot gen float32|uint16 NY NX SY SX PATH   write a deterministic raw file
//	oneshot readsum PATH                          pread every byte once and sum it
//
// readsum is the plain program a one-shot `stemflow run` is compared with: it opens
// the file, reads it once with pread in 1 MiB chunks on GOMAXPROCS goroutines (each a
// contiguous share) and adds up its 64-bit words, then prints the sum and exits.
package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"sync"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "oneshot:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: oneshot gen DTYPE NY NX SY SX PATH | oneshot readsum PATH")
	}
	switch args[0] {
	case "gen":
		if len(args) != 7 {
			return fmt.Errorf("usage: oneshot gen float32|uint16 NY NX SY SX PATH")
		}
		var dims [4]int
		for i := range dims {
			n, err := strconv.Atoi(args[2+i])
			if err != nil || n <= 0 {
				return fmt.Errorf("extent %q is not a positive integer", args[2+i])
			}
			dims[i] = n
		}
		return gen(args[1], dims, args[6])
	case "readsum":
		if len(args) != 2 {
			return fmt.Errorf("usage: oneshot readsum PATH")
		}
		s, err := readSum(args[1])
		if err != nil {
			return err
		}
		fmt.Println(s)
		return nil
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// gen writes frames of a shifted Gaussian disk plus a deterministic pattern, so that
// every UDF has something to compute (CoM shifts, sums vary).
func gen(dtype string, d [4]int, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	ny, nx, sy, sx := d[0], d[1], d[2], d[3]
	buf := make([]byte, 4)
	for y := range ny {
		for x := range nx {
			cy := float64(sy)/2 + 3*math.Sin(float64(y)/7)
			cx := float64(sx)/2 + 3*math.Cos(float64(x)/5)
			for i := range sy {
				for j := range sx {
					r2 := (float64(i)-cy)*(float64(i)-cy) + (float64(j)-cx)*(float64(j)-cx)
					v := 1000*math.Exp(-r2/(2*100)) + float64((i*31+j*17+y*7+x*3)%23)
					switch dtype {
					case "float32":
						binary.LittleEndian.PutUint32(buf, math.Float32bits(float32(v)))
						_, err = w.Write(buf[:4])
					case "uint16":
						binary.LittleEndian.PutUint16(buf, uint16(v))
						_, err = w.Write(buf[:2])
					default:
						return fmt.Errorf("dtype %q, want float32 or uint16", dtype)
					}
					if err != nil {
						return err
					}
				}
			}
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// readSum reads path once with pread on GOMAXPROCS goroutines and sums its words.
func readSum(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	n := int64(runtime.GOMAXPROCS(0))
	const chunk = 1 << 20
	share := (size/n + chunk - 1) / chunk * chunk
	sums := make([]uint64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, chunk)
			var s uint64
			for off := g * share; off < min((g+1)*share, size); off += chunk {
				k, err := f.ReadAt(buf[:min(chunk, size-off)], off)
				if err != nil && err != io.EOF {
					errs[g] = err
					return
				}
				b := buf[:k]
				for len(b) >= 8 {
					s += binary.LittleEndian.Uint64(b)
					b = b[8:]
				}
				for _, c := range b {
					s += uint64(c)
				}
			}
			sums[g] = s
		}()
	}
	wg.Wait()
	var total uint64
	for g := range n {
		if errs[g] != nil {
			return 0, errs[g]
		}
		total += sums[g]
	}
	return total, nil
}
