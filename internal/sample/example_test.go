package sample_test

import (
	"fmt"

	"github.com/stemflow/stemflow/internal/sample"
)

// Generate the default scene: a 32×32 scan of 64×64 frames.
func ExampleGenerate() {
	s := sample.DefaultScene
	data, err := sample.Generate(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	cy, cx := s.DiskCentre(0, 31) // far from every particle: the disk is centred
	fmt.Println(s.Shape(), len(data), fmt.Sprintf("%.1f %.1f", cy, cx))
	// Output: [32 32 64 64] 4194304 32.0 32.0
}
