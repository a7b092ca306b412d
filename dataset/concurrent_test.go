package dataset

import (
	"context"
	"sync"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// TestConcurrentReads reads all partitions of one dataset from several goroutines at
// once (twice each, different dtypes) and checks every frame's sum.
func TestConcurrentReads(t *testing.T) {
	const n, sy, sx = 96, 6, 10
	src := ramp(n * sy * sx)
	ds, _ := NewMemory(array.Wrap(src, n, sy, sx), MemoryOptions{ForceNeedDecode: true})
	want := make([]float64, n)
	for i := range n {
		for j := range sy * sx {
			want[i] += float64(src[i*sy*sx+j])
		}
	}
	sch, _ := NewTilingScheme([]int{5, 4, 10}, []int{sy, sx}, MethodTile)
	parts := Partitions(ds, 12)
	var wg sync.WaitGroup
	got := make([][]float64, 4)
	for g := range got {
		got[g] = make([]float64, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			dt := []array.DType{array.Float32, array.Float64}[g%2]
			for k := range parts {
				p := parts[(k+g*3)%len(parts)]
				err := ds.ReadTiles(context.Background(), p, TileRequest{Scheme: sch, DType: dt}, func(tl *Tile) error {
					bs := tl.Slice.Shape.SigSize()
					for j := range tl.Slice.Shape.Dim(0) {
						f := tl.Slice.Origin[0] + j
						switch d := tl.Data.(type) {
						case *array.Dense[float32]:
							for _, v := range d.Data()[j*bs : (j+1)*bs] {
								got[g][f] += float64(v)
							}
						case *array.Dense[float64]:
							for _, v := range d.Data()[j*bs : (j+1)*bs] {
								got[g][f] += v
							}
						}
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for g := range got {
		for i := range n {
			if d := got[g][i] - want[i]; d > 1e-3 || d < -1e-3 {
				t.Fatalf("goroutine %d frame %d: %v, want %v", g, i, got[g][i], want[i])
			}
		}
	}
}

// TestPartitionIntent: a partition scheme delivers each partition as one tile, whatever
// the scheme's depth (the forced tileshape of scenario 11 is overridden).
func TestPartitionIntent(t *testing.T) {
	ds, _ := NewMemory(array.Wrap(ramp(256*4*4), 16, 16, 4, 4), MemoryOptions{TileShape: []int{36, 4, 4}})
	in := NegotiationFor(ds, []TilingPrefs{{Method: MethodPartition}}, array.Float32, nil, 7)
	sch, err := Negotiate(in)
	if err != nil {
		t.Fatal(err)
	}
	if sch.Intent != MethodPartition || sch.Depth != 36 {
		t.Fatalf("scheme %v", sch)
	}
	roi := randomROI(256, 4)
	for _, r := range [][]bool{nil, roi} {
		for _, p := range Partitions(ds, 7) {
			tiles := 0
			err := ds.ReadTiles(context.Background(), p, TileRequest{Scheme: sch, ROI: r}, func(tl *Tile) error {
				tiles++
				want := p.ROISlice(r)
				if !tl.Slice.Equal(want) {
					t.Errorf("%v: tile slice %v, want partition slice %v", p, tl.Slice, want)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if tiles != 1 {
				t.Errorf("%v: %d tiles", p, tiles)
			}
		}
	}
}

// TestCloseWaitsForReads: Close during a read waits for it; later reads fail.
func TestCloseWaitsForReads(t *testing.T) {
	ds, _ := NewMemory(array.Wrap(ramp(8*2*2), 8, 2, 2), MemoryOptions{})
	sch, _ := NewTilingScheme([]int{1, 2, 2}, []int{2, 2}, MethodTile)
	p := Partitions(ds, 1)[0]
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		first := true
		done <- ds.ReadTiles(context.Background(), p, TileRequest{Scheme: sch}, func(*Tile) error {
			if first {
				first = false
				close(started)
				<-release
			}
			return nil
		})
	}()
	<-started
	closed := make(chan struct{})
	go func() { _ = ds.Close(); close(closed) }()
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("read interrupted by Close: %v", err)
	}
	<-closed
}
