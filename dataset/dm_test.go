package dataset

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// dmNode is a tag of a DM file built by hand in tests.
type dmNode struct {
	name  string
	group []dmNode // a group when isGrp
	isGrp bool
	code  int    // simple type code of val (or array element type)
	val   uint64 // simple value bits
	arr   []byte // array data (code = element type), nil for no array
	str   string // 16-bit text array when set
}

func grp(name string, kids ...dmNode) dmNode { return dmNode{name: name, group: kids, isGrp: true} }
func u32v(name string, v uint32) dmNode      { return dmNode{name: name, code: 5, val: uint64(v)} }
func i32v(name string, v int32) dmNode       { return dmNode{name: name, code: 3, val: uint64(uint32(v))} }
func txt(name, s string) dmNode              { return dmNode{name: name, str: s} }

// dmBuild writes a DM3 (v=3) or DM4 (v=4) file with the given root entries; tag values
// and arrays in little- (le) or big-endian order, structure big-endian.
func dmBuild(v int, le bool, root ...dmNode) []byte {
	var vo binary.AppendByteOrder = binary.BigEndian
	if le {
		vo = binary.LittleEndian
	}
	word := func(b []byte, x uint64) []byte {
		if v == 4 {
			return binary.BigEndian.AppendUint64(b, x)
		}
		return binary.BigEndian.AppendUint32(b, uint32(x))
	}
	var group func(kids []dmNode) []byte
	entry := func(n dmNode) []byte {
		var body []byte
		kind := byte(21)
		if n.isGrp {
			kind = 20
			body = group(n.group)
		} else {
			body = append(body, "%%%%"...)
			switch {
			case n.str != "":
				body = word(body, 3)
				body = word(body, 20)
				body = word(body, 4)
				body = word(body, uint64(len(n.str)))
				for _, r := range n.str {
					body = vo.AppendUint16(body, uint16(r))
				}
			case n.arr != nil:
				sz := dmSimpleSize(uint64(n.code))
				body = word(body, 3)
				body = word(body, 20)
				body = word(body, uint64(n.code))
				body = word(body, uint64(len(n.arr)/sz))
				body = append(body, n.arr...)
			default:
				body = word(body, 1)
				body = word(body, uint64(n.code))
				switch dmSimpleSize(uint64(n.code)) {
				case 1:
					body = append(body, byte(n.val))
				case 2:
					body = vo.AppendUint16(body, uint16(n.val))
				case 4:
					body = vo.AppendUint32(body, uint32(n.val))
				case 8:
					body = vo.AppendUint64(body, n.val)
				}
			}
		}
		out := []byte{kind}
		out = binary.BigEndian.AppendUint16(out, uint16(len(n.name)))
		out = append(out, n.name...)
		if v == 4 {
			out = binary.BigEndian.AppendUint64(out, uint64(len(body)))
		}
		return append(out, body...)
	}
	group = func(kids []dmNode) []byte {
		out := []byte{1, 0}
		out = word(out, uint64(len(kids)))
		for _, k := range kids {
			out = append(out, entry(k)...)
		}
		return out
	}
	body := group(root)
	out := binary.BigEndian.AppendUint32(nil, uint32(v))
	out = word(out, uint64(len(body)))
	bo := uint32(0)
	if le {
		bo = 1
	}
	out = binary.BigEndian.AppendUint32(out, bo)
	out = append(out, body...)
	return append(out, make([]byte, 8)...)
}

// dmImageEntry is an ImageList entry with the given dims (x first), data type and data.
func dmImageEntry(dims []int, dataType int, elemCode int, data []byte, tags ...dmNode) dmNode {
	var dn []dmNode
	for _, d := range dims {
		dn = append(dn, u32v("", uint32(d)))
	}
	return grp("",
		grp("ImageData",
			grp("Calibrations", grp("Dimension", grp("", dmNode{name: "Scale", code: 6, val: uint64(math.Float32bits(1))}))),
			dmNode{name: "Data", code: elemCode, arr: data},
			i32v("DataType", int32(dataType)),
			grp("Dimensions", dn...),
		),
		grp("ImageTags", tags...),
	)
}

func thumbEntry(le bool) dmNode {
	var o binary.AppendByteOrder = binary.BigEndian
	if le {
		o = binary.LittleEndian
	}
	var data []byte
	for i := range 4 * 3 {
		data = o.AppendUint32(data, uint32(i))
	}
	return dmImageEntry([]int{4, 3}, 23, 5, data)
}

func TestDMTagParse(t *testing.T) {
	for _, v := range []int{3, 4} {
		for _, le := range []bool{true, false} {
			b := dmBuild(v, le,
				grp("ImageList", thumbEntry(le)),
				u32v("Count", 7),
				dmNode{name: "Neg", code: 2, val: uint64(uint16(0xFFFE))},
				dmNode{name: "Dbl", code: 7, val: math.Float64bits(-2.5)},
				txt("Name", "Diffraction image"),
			)
			f, err := ParseDMTags(bytesReaderAt(b), int64(len(b)), "x.dm")
			if err != nil {
				t.Fatalf("DM%d le=%v: %v", v, le, err)
			}
			if f.Version != v || (f.ByteOrder == binary.LittleEndian) != le {
				t.Fatalf("version %d order %v", f.Version, f.ByteOrder)
			}
			if c, ok := f.Root.Child("Count").Int(); !ok || c != 7 {
				t.Fatalf("Count %v %v", c, ok)
			}
			if c, ok := f.Root.Child("Neg").Int(); !ok || c != -2 {
				t.Fatalf("Neg %v %v", c, ok)
			}
			if c, ok := f.Root.Child("Dbl").Float(); !ok || c != -2.5 {
				t.Fatalf("Dbl %v %v", c, ok)
			}
			if s, ok := f.Root.Child("Name").Text(); !ok || s != "Diffraction image" {
				t.Fatalf("Name %q %v", s, ok)
			}
			imgs := f.Images()
			if len(imgs) != 1 || !imgs[0].isThumbnail() || !slices.Equal(imgs[0].Dims, []int{4, 3}) || imgs[0].Size != 48 {
				t.Fatalf("images %+v", imgs)
			}
			// the data array's offset points at its bytes
			off := imgs[0].Offset
			var o binary.ByteOrder = binary.BigEndian
			if le {
				o = binary.LittleEndian
			}
			if got := o.Uint32(b[off+4*5:]); got != 5 {
				t.Fatalf("element 5 at the data offset reads %d", got)
			}
		}
	}
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, errors.New("EOF")
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, errors.New("EOF")
	}
	return n, nil
}

func TestDMTagErrors(t *testing.T) {
	good := dmBuild(4, true, grp("ImageList", thumbEntry(true)), u32v("Count", 7))
	cases := []struct {
		name  string
		b     []byte
		field string
	}{
		{"empty", nil, "header.version"},
		{"version 5", append([]byte{0, 0, 0, 5}, good[4:]...), "header.version"},
		{"byte order 7", func() []byte { b := slices.Clone(good); b[15] = 7; return b }(), "header.byte_order"},
		{"truncated", good[:len(good)/2], "tags"},
		{"bad delimiter", func() []byte {
			b := slices.Clone(good)
			i := strings.Index(string(b), "%%%%")
			b[i] = 'x'
			return b
		}(), "tags.data.delimiter"},
		{"bad entry kind", func() []byte { b := slices.Clone(good); b[16+2+8] = 9; return b }(), "tags.entry.kind"},
	}
	for _, c := range cases {
		_, err := ParseDMTags(bytesReaderAt(c.b), int64(len(c.b)), "bad.dm4")
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrHeader) || !strings.HasPrefix(e.Field, c.field) || e.Path != "bad.dm4" {
			t.Errorf("%s: error %v, want ErrHeader on field %s", c.name, err, c.field)
		}
	}
}

func FuzzDMTags(f *testing.F) {
	f.Add(dmBuild(3, true, grp("ImageList", thumbEntry(true)), txt("Name", "x")))
	f.Add(dmBuild(4, false, grp("ImageList", thumbEntry(false)), u32v("Count", 7)))
	f.Fuzz(func(t *testing.T, b []byte) {
		df, err := ParseDMTags(bytesReaderAt(b), int64(len(b)), "fuzz.dm4")
		if err != nil {
			if !errors.Is(err, ErrHeader) {
				t.Fatalf("error %v does not wrap ErrHeader", err)
			}
			return
		}
		for _, img := range df.Images() {
			if img.Offset < 0 || img.Offset+img.Size > int64(len(b)) {
				t.Fatalf("image data [%d, +%d) outside the file of %d bytes", img.Offset, img.Size, len(b))
			}
		}
		_ = df.Root.String()
		_, _ = dmSingleLayout("fuzz.dm4", df, nil)
	})
}

// dmFrames builds a DM file holding vals (C order (nav..., sig...)) as one image of dims
// (x first) with a thumbnail first, and optional ImageTags.
func dmFrames(v int, le bool, dims []int, dt array.DType, vals []float64, tags ...dmNode) []byte {
	var o binary.ByteOrder = binary.BigEndian
	if le {
		o = binary.LittleEndian
	}
	code := map[array.DType]int{array.Uint16: 10, array.Float32: 2, array.Int8: 9, array.Int32: 7, array.Uint8: 6}[dt]
	elem := map[array.DType]int{array.Uint16: 4, array.Float32: 6, array.Int8: 9, array.Int32: 3, array.Uint8: 10}[dt]
	return dmBuild(v, le, grp("ImageList", thumbEntry(le), dmImageEntry(dims, code, elem, encode(vals, dt, o), tags...)))
}

func TestDMSingle(t *testing.T) {
	swapped := func(v uint32) dmNode {
		return grp("Meta Data", txt("Format", "Diffraction image"), u32v("Data Order Swapped", v))
	}
	cases := []struct {
		name     string
		dims     []int // x first
		tags     []dmNode
		dt       array.DType
		nav, sig []int
		fail     bool
	}{
		{"4-D swapped", []int{5, 4, 3, 2}, []dmNode{swapped(1)}, array.Uint16, []int{2, 3}, []int{4, 5}, false},
		{"4-D hybrid", []int{5, 4, 3, 2}, []dmNode{swapped(0)}, array.Uint16, nil, nil, true},
		{"4-D untagged", []int{5, 4, 3, 2}, nil, array.Float32, nil, nil, true},
		{"3-D stack", []int{5, 4, 6}, nil, array.Float32, []int{6}, []int{4, 5}, false},
		{"2-D image", []int{5, 4}, nil, array.Int8, []int{1}, []int{4, 5}, false},
		{"2-D spectrum image", []int{5, 4}, []dmNode{grp("Meta Data", txt("Format", "Spectrum image"))}, array.Int32, []int{4}, []int{5}, false},
		{"3-D spectrum image", []int{5, 4, 3}, []dmNode{grp("Meta Data", txt("Format", "Spectrum image"))}, array.Int32, nil, nil, true},
	}
	for _, v := range []int{3, 4} {
		for _, le := range []bool{true, false} {
			for _, c := range cases {
				n := prodInts(c.dims)
				vals := smallVals(n)
				b := dmFrames(v, le, c.dims, c.dt, vals, c.tags...)
				p := writeFile(t, "x.dm4", b)
				ds, err := Open("auto", p, OpenOptions{})
				if c.fail {
					if err == nil || !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), "Data Order Swapped") {
						t.Fatalf("DM%d %s: error %v, want the F/C order refusal", v, c.name, err)
					}
					fd, err := OpenDM(p, DMOptions{ForceCOrder: true})
					if err != nil {
						t.Fatalf("DM%d %s forced: %v", v, c.name, err)
					}
					fd.Close()
					continue
				}
				if err != nil {
					t.Fatalf("DM%d le=%v %s: %v", v, le, c.name, err)
				}
				if !slices.Equal(ds.Shape().Nav(), c.nav) || !slices.Equal(ds.Shape().Sig(), c.sig) || ds.DType() != c.dt {
					t.Fatalf("%s: shape %v dtype %v", c.name, ds.Shape(), ds.DType())
				}
				sch, err := NewTilingScheme(append([]int{2}, c.sig...), c.sig, MethodTile)
				if err != nil {
					t.Fatal(err)
				}
				r := readAll[float64](t, ds, 2, sch, nil, array.Float64)
				// C order: flat element i of the file is element i of the dataset
				if i := sameNaN(r.data, vals); i >= 0 {
					t.Fatalf("DM%d le=%v %s: element %d = %v, want %v", v, le, c.name, i, r.data[i], vals[i])
				}
				if info := ds.Info().String(); !strings.Contains(info, "ImageList entry 1") {
					t.Fatalf("info %s", info)
				}
				ds.Close()
			}
		}
	}
}

func TestDMSingleErrors(t *testing.T) {
	dir := t.TempDir()
	w := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	vals := smallVals(2 * 3 * 4)
	good := dmFrames(4, true, []int{4, 3, 2}, array.Uint16, vals)
	only := dmBuild(4, true, grp("ImageList", thumbEntry(true)))
	short := dmBuild(4, true, grp("ImageList", thumbEntry(true), dmImageEntry([]int{4, 3, 2}, 10, 4, encode(vals[:5], array.Uint16, binary.LittleEndian))))
	rgb := dmBuild(4, true, grp("ImageList", thumbEntry(true), dmImageEntry([]int{4, 3, 2}, 23, 5, encode(vals, array.Uint32, binary.LittleEndian))))
	cases := []struct {
		name, path string
		opts       DMOptions
		sentinel   error
		field      string
	}{
		{"no image", w("only.dm4", only), DMOptions{}, ErrHeader, "ImageList"},
		{"short data", w("short.dm4", short), DMOptions{}, ErrHeader, "ImageList.2.ImageData.Data"},
		{"rgb", w("rgb.dm4", rgb), DMOptions{}, ErrDType, "ImageList.2.ImageData.DataType"},
		{"nav too big", w("good.dm4", good), DMOptions{NavShape: []int{3}}, ErrShape, "nav_shape"},
		{"sig size", w("good2.dm4", good), DMOptions{SigShape: []int{5, 2}}, ErrSigSize, "sig_shape"},
		{"index", w("good3.dm4", good), DMOptions{DatasetIndex: new(0)}, ErrOption, "dataset_index"},
		{"truncated", w("trunc.dm4", good[:len(good)-40]), DMOptions{}, ErrHeader, "tags"},
	}
	for _, c := range cases {
		_, err := OpenDM(c.path, c.opts)
		var e *Error
		if !errors.Is(err, c.sentinel) || !errors.As(err, &e) || !strings.HasPrefix(e.Field, c.field) || e.Path != c.path {
			t.Errorf("%s: %v, want %v on %s", c.name, err, c.sentinel, c.field)
		}
	}
	ds, err := OpenDM(w("good4.dm4", good), DMOptions{NavShape: []int{1}, DatasetIndex: new(1)})
	if err != nil || ds.Shape().NavSize() != 1 {
		t.Fatalf("nav subset: %v", err)
	}
	ds.Close()
}

func TestDMStack(t *testing.T) {
	for _, v := range []int{3, 4} {
		for _, le := range []bool{true, false} {
			dir := t.TempDir()
			var o binary.ByteOrder = binary.BigEndian
			if le {
				o = binary.LittleEndian
			}
			// files 1, 2, 10 (natural order); file 2 is a 3-D stack of 2 frames
			zs := map[int]int{1: 1, 2: 2, 10: 1}
			var want []float64
			for _, n := range []int{1, 2, 10} {
				dims := []int{4, 3}
				if zs[n] > 1 {
					dims = append(dims, zs[n])
				}
				vals := make([]float64, 12*zs[n])
				for i := range vals {
					vals[i] = float64(n*100 + i)
				}
				want = append(want, vals...)
				entries := []dmNode{dmImageEntry(dims, 10, 4, encode(vals, array.Uint16, o))}
				if n != 1 { // a single entry, or a thumbnail first
					entries = append([]dmNode{thumbEntry(le)}, entries...)
				}
				b := dmBuild(v, le, grp("ImageList", entries...))
				if err := os.WriteFile(filepath.Join(dir, "s_"+strconv.Itoa(n)+".dm3"), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			ds, err := Open("auto", filepath.Join(dir, "s_*.dm3"), OpenOptions{})
			if err != nil {
				t.Fatalf("DM%d le=%v: %v", v, le, err)
			}
			if !slices.Equal(ds.Shape().Dims(), []int{4, 3, 4}) || ds.DType() != array.Uint16 || len(ds.Info().Files) != 3 {
				t.Fatalf("shape %v dtype %v files %v", ds.Shape(), ds.DType(), ds.Info().Files)
			}
			sch, _ := NewTilingScheme([]int{3, 3, 4}, []int{3, 4}, MethodTile)
			r := readAll[float64](t, ds, 2, sch, nil, array.Float64)
			if i := sameNaN(r.data, want); i >= 0 {
				t.Fatalf("DM%d le=%v: element %d = %v, want %v", v, le, i, r.data[i], want[i])
			}
			ds.Close()
		}
	}
	// a file whose frames differ from the first file's
	dir := t.TempDir()
	for i, dims := range [][]int{{4, 3}, {3, 4}} {
		b := dmBuild(4, true, grp("ImageList", dmImageEntry(dims, 10, 4, make([]byte, 24))))
		if err := os.WriteFile(filepath.Join(dir, "m"+strconv.Itoa(i)+".dm4"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Open("dm", filepath.Join(dir, "m*.dm4"), OpenOptions{}); !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), "m1.dm4") {
		t.Fatalf("mismatch: %v", err)
	}
	if _, err := Open("dm", filepath.Join(dir, "none*.dm4"), OpenOptions{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no match: %v", err)
	}
	got := []string{"a10", "a2", "a1", "b", "a02x"}
	slices.SortFunc(got, naturalCompare)
	if !slices.Equal(got, []string{"a1", "a2", "a02x", "a10", "b"}) {
		t.Fatalf("natural order %v", got)
	}
}
