package web

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/sample"
)

// BenchmarkDetectorChange measures, on a 256 MiB float32 sample (128×128 scan of
// 64×64 frames, in the page cache and mapped), the time from a detector change
// (a new disk while the previous image is shown) to the first partial image and
// to the complete new image, as the page receives them (server side, no browser).
func BenchmarkDetectorChange(b *testing.B) {
	scene := sample.DefaultScene
	scene.NavY, scene.NavX = 128, 128
	data, err := sample.Generate(scene)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := array.WriteNPYFile(filepath.Join(dir, "big.npy"), array.Wrap(data, scene.Shape()...)); err != nil {
		b.Fatal(err)
	}
	data = nil
	srv, err := New(Config{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	sess := newSession(srv, "bench")
	defer sess.close()
	if _, err := sess.open(openRequest{Path: "big.npy"}); err != nil {
		b.Fatal(err)
	}
	// change runs the detector with radius r and returns the times to the first and
	// the final image.
	change := func(r float64) (first, final time.Duration) {
		t0 := time.Now()
		id, err := sess.start(Analysis{Kind: "disk", CY: 32, CX: 32, R: r})
		if err != nil {
			b.Fatal(err)
		}
		for {
			<-sess.box.notify
			now := time.Since(t0)
			for _, ev := range sess.box.drain() {
				if ev.name != "image" {
					continue
				}
				var im struct {
					Run   int
					Final bool
				}
				if err := json.Unmarshal(ev.data, &im); err != nil {
					b.Fatal(err)
				}
				if im.Run != id {
					continue
				}
				if first == 0 {
					first = now
				}
				if im.Final {
					return first, now
				}
			}
		}
	}
	change(12) // warm: page cache, mapping
	var firsts, finals []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		first, final := change(float64(8 + i%8))
		firsts = append(firsts, float64(first.Microseconds())/1000)
		finals = append(finals, float64(final.Microseconds())/1000)
	}
	b.StopTimer()
	b.ReportMetric(median(firsts), "ms-first-image")
	b.ReportMetric(median(finals), "ms-complete-image")
	b.ReportMetric(0, "ns/op")
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
