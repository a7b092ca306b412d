package cluster

import (
	"testing"

	"github.com/stemflow/stemflow/array"
)

// FuzzResultMessage feeds arbitrary bytes to the result-message decoder: it must
// return an error or buffers, never panic.
func FuzzResultMessage(f *testing.F) {
	a := array.Wrap([]float32{1, 2, 3, 4}, 2, 2)
	hdr, payload, err := encodeBuffers([][]array.Array{{a, nil}})
	if err != nil {
		f.Fatal(err)
	}
	msg, err := frame(wireResult{Job: "j", Bufs: hdr, Size: len(payload)}, payload)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(msg)
	f.Add([]byte{0, 0, 0, 2, '{', '}'})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		var h wireResult
		p, err := unframe(data, &h)
		if err != nil {
			return
		}
		_, _ = decodeBuffers(h.Bufs, p)
	})
}

func TestBufferRoundTrip(t *testing.T) {
	in := [][]array.Array{
		{array.Wrap([]float64{1.5, -2, 3e300}, 3), nil},
		{array.Wrap([]bool{true, false}, 1, 2), array.Wrap([]complex64{1 + 2i}, 1)},
	}
	hdr, payload, err := encodeBuffers(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeBuffers(hdr, payload)
	if err != nil {
		t.Fatal(err)
	}
	if out[0][1] != nil || out[0][0].(*array.Dense[float64]).Data()[2] != 3e300 ||
		!out[1][0].(*array.Dense[bool]).Data()[0] || out[1][1].(*array.Dense[complex64]).Data()[0] != 1+2i {
		t.Errorf("round trip changed the buffers: %v", out)
	}
	payload[len(payload)-1] ^= 1
	if _, err := decodeBuffers(hdr, payload); err == nil {
		t.Error("a flipped bit passed the checksum")
	}
}
