package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/stemflow/stemflow/array"
)

// DMImage is one entry of a DM file's ImageList.
type DMImage struct {
	// Index is the 0-based position in the ImageList.
	Index int
	// Dims are the Dimensions as stored: x (fastest) first.
	Dims []int
	// DataType is DigitalMicrograph's image data type code.
	DataType int
	// DType is the numpy dtype of DataType; invalid for types stemflow cannot read
	// (RGB, packed complex, ...).
	DType array.DType
	// Offset and Size locate the image data in the file.
	Offset, Size int64
	// Tags is the entry's tag group (ImageData, ImageTags, ...).
	Tags *DMTag
}

// dmDTypes maps DigitalMicrograph image data types to dtypes.
var dmDTypes = map[int]array.DType{
	1: array.Int16, 2: array.Float32, 3: array.Complex64, 6: array.Uint8, 7: array.Int32,
	9: array.Int8, 10: array.Uint16, 11: array.Uint32, 12: array.Float64, 13: array.Complex128,
}

// Images returns the ImageList entries of the file in order.
func (f *DMFile) Images() []DMImage {
	list := f.Root.Child("ImageList")
	if list == nil {
		return nil
	}
	var out []DMImage
	for i, e := range list.Children {
		img := DMImage{Index: i, Tags: e}
		img.Dims, _ = dmDims(e)
		if dt, ok := e.Find("ImageData", "DataType").Int(); ok {
			img.DataType = int(dt)
			img.DType = dmDTypes[img.DataType]
		}
		if d := e.Find("ImageData", "Data"); d != nil && d.Kind == DMArray {
			img.Offset, img.Size = d.Offset, d.Size
		}
		out = append(out, img)
	}
	return out
}

// isThumbnail tells whether image 0 is the RGB preview DigitalMicrograph writes first.
func (img DMImage) isThumbnail() bool {
	return img.Index == 0 && img.DataType == 23 && len(img.Dims) == 2
}

// DMOptions configure a DigitalMicrograph dataset (OpenDM, OpenDMStack).
type DMOptions struct {
	// NavShape / SigShape override the shapes (single files: the nav size may not
	// exceed the stored frames).
	NavShape []int
	SigShape []int
	// SyncOffset is the sync offset k, -image_count < k < image_count.
	SyncOffset int
	// ForceCOrder reads a single 4-D file as C-ordered even when its tags say it
	// is stored in the older F/C-hybrid order (whose frames would come out wrong).
	ForceCOrder bool
	// DatasetIndex selects an ImageList entry of a single file; nil picks the first
	// entry with at least 2 dimensions that is not the thumbnail.
	DatasetIndex *int
	// NumPartitions is the user's partition count; 0 = the generic rule.
	NumPartitions int
	// MaxIOSize is the I/O size for copying reads; 0 = DefaultIOSize.
	MaxIOSize int64
	// Populate pre-faults the mapping at open (see OpenOptions.Populate).
	Populate bool
	// IO is the I/O method: IOMmap (default) or IORead.
	IO string
}

// dmLayout is what a single DM file's tags say about its image.
type dmLayout struct {
	image   DMImage
	nav     []int
	sig     []int
	cOrder  bool
	format  string
	orderBy string // which rule decided the order
}

// ReadDMFile parses the tag tree of the DM3/DM4 file at path.
func ReadDMFile(path string) (*DMFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, openErr(path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &Error{Path: path, Detail: "stat failed", Err: err}
	}
	if st.IsDir() {
		return nil, newErr(path, "path", ErrNotFound, "is a directory, not a file")
	}
	return ParseDMTags(f, st.Size(), path)
}

// dmSingleLayout picks the image of a single file and decides its shape and order, as
// LiberTEM does: images with fewer than 2 dimensions and the thumbnail are skipped; the
// stored dims (x first) are reversed; the last 2 axes are the signal (1 for a "Spectrum
// image"), the rest the nav (at least (1,)). 2-D and 3-D data are taken as C-ordered,
// 4-D data as F/C-hybrid; 3-D spectrum images as hybrid; the tag "Meta Data/Data Order
// Swapped" of the image, where present, decides (nonzero = C order).
func dmSingleLayout(path string, f *DMFile, index *int) (dmLayout, error) {
	imgs := f.Images()
	var cand []DMImage
	for _, img := range imgs {
		if img.isThumbnail() || len(img.Dims) < 2 {
			continue
		}
		cand = append(cand, img)
	}
	if len(cand) == 0 {
		return dmLayout{}, newErr(path, "ImageList", ErrHeader, "no image with 2 to 4 dimensions among the %d ImageList entries", len(imgs))
	}
	img := cand[0]
	if index != nil {
		i := slices.IndexFunc(cand, func(c DMImage) bool { return c.Index == *index })
		if i < 0 {
			return dmLayout{}, newErr(path, "dataset_index", ErrOption, "dataset index %d is not an image with 2 to 4 dimensions (candidates: %v)", *index, dmIndexes(cand))
		}
		img = cand[i]
	}
	if len(img.Dims) > 4 {
		return dmLayout{}, newErr(path, fmt.Sprintf("ImageList.%d.ImageData.Dimensions", img.Index+1), ErrShape, "%d dimensions, want 2 to 4", len(img.Dims))
	}
	if !img.DType.IsValid() {
		return dmLayout{}, newErr(path, fmt.Sprintf("ImageList.%d.ImageData.DataType", img.Index+1), ErrDType, "image data type %d is not supported (want one of 1 int16, 2 float32, 3 complex64, 6 uint8, 7 int32, 9 int8, 10 uint16, 11 uint32, 12 float64, 13 complex128)", img.DataType)
	}
	n := img.DType.ItemSize()
	for _, d := range img.Dims {
		n *= d
	}
	if int64(n) != img.Size || img.Size == 0 {
		return dmLayout{}, newErr(path, fmt.Sprintf("ImageList.%d.ImageData.Data", img.Index+1), ErrHeader, "data array holds %d bytes, dimensions %v of %v need %d", img.Size, img.Dims, img.DType, n)
	}
	l := dmLayout{image: img, cOrder: len(img.Dims) <= 3, format: "Unknown", orderBy: "default for " + strconv.Itoa(len(img.Dims)) + "-D data"}
	sigDims := 2
	md := img.Tags.Find("ImageTags", "Meta Data")
	if s, ok := md.Child("Format").Text(); ok {
		l.format = s
		if strings.ToLower(strings.TrimSpace(s)) == "spectrum image" {
			if len(img.Dims) > 3 {
				return dmLayout{}, newErr(path, "Meta Data.Format", ErrShape, "a spectrum image with %d dimensions, want 2 or 3", len(img.Dims))
			}
			sigDims = 1
			if len(img.Dims) == 3 {
				l.cOrder = false
				l.orderBy = "3-D spectrum image"
			}
		}
	}
	if t := md.Child("Data Order Swapped"); t != nil {
		v, ok := t.Int()
		if !ok {
			if s, ok2 := t.Text(); ok2 {
				if iv, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
					v, ok = int64(iv), true
				}
			}
		}
		if !ok {
			return dmLayout{}, newErr(path, "Meta Data.Data Order Swapped", ErrHeader, "value %v is not an integer", t.Value)
		}
		l.cOrder = v != 0
		l.orderBy = fmt.Sprintf("tag Meta Data.Data Order Swapped = %d", v)
	}
	shape := slices.Clone(img.Dims)
	slices.Reverse(shape)
	l.nav, l.sig = shape[:len(shape)-sigDims], shape[len(shape)-sigDims:]
	if len(l.nav) == 0 {
		l.nav = []int{1}
	}
	return l, nil
}

func dmIndexes(c []DMImage) []int {
	out := make([]int, len(c))
	for i, img := range c {
		out[i] = img.Index
	}
	return out
}

// DM is a single DigitalMicrograph file holding a 2-D to 4-D image in C order, read
// through a memory mapping at the image data's offset.
type DM struct {
	dense
	layout dmLayout
	file   *DMFile
}

var _ Dataset = (*DM)(nil)

// OpenDM opens a single DM3/DM4 file (see dmSingleLayout for which image is read and
// how its shape is found). Files in the F/C-hybrid order fail with ErrHeader unless
// ForceCOrder is set. A NavShape may select fewer frames than stored, not more.
func OpenDM(path string, opts DMOptions) (*DM, error) {
	f, err := ReadDMFile(path)
	if err != nil {
		return nil, err
	}
	l, err := dmSingleLayout(path, f, opts.DatasetIndex)
	if err != nil {
		return nil, err
	}
	if !l.cOrder && !opts.ForceCOrder {
		return nil, newErr(path, "Meta Data.Data Order Swapped", ErrHeader,
			"the %d-D image is stored in the F/C-hybrid order (%s); only C-ordered data can be read (force C order to read it anyway, which gives wrong frames for hybrid files)", len(l.image.Dims), l.orderBy)
	}
	if opts.NumPartitions < 0 {
		return nil, newErr(path, "num_partitions", ErrOption, "num_partitions %d is negative", opts.NumPartitions)
	}
	imageCount := prodInts(l.nav)
	shape, err := resolveShape(path, l.nav, l.sig, imageCount, ShapeOptions{NavShape: opts.NavShape, SigShape: opts.SigShape})
	if err != nil {
		return nil, err
	}
	if shape.NavSize() > imageCount {
		return nil, newErr(path, "nav_shape", ErrShape, "nav_shape %v has %d positions, the file stores %d frames", shape.Nav(), shape.NavSize(), imageCount)
	}
	if err := checkSync(path, opts.SyncOffset, imageCount); err != nil {
		return nil, err
	}
	sto, err := openStorage(path, "ImageData.Data", l.image.Offset+l.image.Size, opts.IO, opts.Populate)
	if err != nil {
		return nil, err
	}
	d := &DM{layout: l, file: f}
	align := int64(min(l.image.DType.ItemSize(), 8))
	d.base = base{
		format:        "dm",
		path:          path,
		shape:         shape,
		native:        l.image.DType,
		order:         f.ByteOrder,
		imageCount:    imageCount,
		syncOffset:    opts.SyncOffset,
		numPartitions: opts.NumPartitions,
		maxIO:         opts.MaxIOSize,
		forceDecode:   l.image.Offset%align != 0,
		dataOffset:    l.image.Offset,
	}
	d.initFile(sto)
	return d, nil
}

// Tags returns the parsed tag tree.
func (d *DM) Tags() *DMFile { return d.file }

// Info describes the file and how its shape and order were found.
func (d *DM) Info() Info {
	in := d.base.Info()
	l := d.layout
	in.Details = append(in.Details,
		InfoDetail{"dm_version", fmt.Sprintf("DM%d", d.file.Version)},
		InfoDetail{"image", fmt.Sprintf("ImageList entry %d of %d, dimensions %v (x first), data type %d", l.image.Index, len(d.file.Images()), l.image.Dims, l.image.DataType)},
		InfoDetail{"meta_format", l.format},
		InfoDetail{"order", fmt.Sprintf("C order: %v (%s)", l.cOrder, l.orderBy)},
	)
	return in
}

// OpenDMStack opens a stack of DM files, one or more frames each, in the given order
// (LiberTEM's stacked DM dataset): each file's image is ImageList entry 0 when it has
// one entry, else entry 1 (entry 0 being the thumbnail); a 3-D image adds its Z extent
// of frames. The signal (Y, X) and dtype come from the first file and every file must
// match them; the nav shape is (total frames,) unless overridden.
func OpenDMStack(files []string, opts DMOptions) (*Framed, error) {
	if len(files) == 0 {
		return nil, newErr("", "files", ErrNotFound, "no DM files in the stack")
	}
	l := FrameLayout{Format: "dm", Path: files[0]}
	var sig []int
	var dt array.DType
	total := 0
	for i, p := range files {
		f, err := ReadDMFile(p)
		if err != nil {
			return nil, err
		}
		imgs := f.Images()
		if len(imgs) == 0 {
			return nil, newErr(p, "ImageList", ErrHeader, "no image")
		}
		img := imgs[0]
		if len(imgs) > 1 {
			img = imgs[1]
		}
		field := fmt.Sprintf("ImageList.%d.ImageData", img.Index+1)
		if len(img.Dims) < 2 || len(img.Dims) > 3 {
			return nil, newErr(p, field+".Dimensions", ErrShape, "dimensions %v, want 2 or 3", img.Dims)
		}
		if !img.DType.IsValid() {
			return nil, newErr(p, field+".DataType", ErrDType, "image data type %d is not supported", img.DataType)
		}
		z := 1
		if len(img.Dims) == 3 {
			z = img.Dims[2]
		}
		s := []int{img.Dims[1], img.Dims[0]}
		if i == 0 {
			sig, dt = s, img.DType
			l.ByteOrder = f.ByteOrder
		} else if !slices.Equal(s, sig) || img.DType != dt || f.ByteOrder != l.ByteOrder {
			return nil, newErr(p, field, ErrShape, "frames of %v %v (%s), the stack's first file has %v %v (%s)", s, img.DType, orderName(f.ByteOrder), sig, dt, orderName(l.ByteOrder))
		}
		fb := int64(prodInts(s)) * int64(dt.ItemSize())
		if img.Size != fb*int64(z) {
			return nil, newErr(p, field+".Data", ErrHeader, "data array holds %d bytes, %d frames of %v %v need %d", img.Size, z, s, dt, fb*int64(z))
		}
		l.Files = append(l.Files, FrameFile{Path: p, Frames: z, Offset: img.Offset, Stride: fb})
		total += z
	}
	l.DType, l.SigShape, l.NavShape = dt, sig, []int{total}
	l.RecordBytes = prodInts(sig) * dt.ItemSize()
	l.Details = []InfoDetail{{"nav_shape_source", fmt.Sprintf("(total frames,) of a stack of %d files", len(files))}}
	return OpenFramed(l, FramedOptions{
		ShapeOptions:  ShapeOptions{NavShape: opts.NavShape, SigShape: opts.SigShape, SyncOffset: opts.SyncOffset},
		NumPartitions: opts.NumPartitions, MaxIOSize: opts.MaxIOSize, Populate: opts.Populate, IO: opts.IO,
	})
}

// dmGlob expands a glob pattern into files in natural order: runs of digits compare
// by value, so scan_2.dm4 comes before scan_10.dm4.
func dmGlob(pattern string) ([]string, error) {
	m, err := filepath.Glob(pattern)
	if err != nil {
		return nil, newErr(pattern, "path", ErrOption, "bad pattern: %v", err)
	}
	if len(m) == 0 {
		return nil, newErr(pattern, "path", ErrNotFound, "no file matches the pattern")
	}
	slices.SortFunc(m, naturalCompare)
	return m, nil
}

func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmpInt(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmpInt(int(a[0]), int(b[0]))
		}
		a, b = a[1:], b[1:]
	}
	return cmpInt(len(a), len(b))
}

func digitRun(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func init() {
	RegisterFormat(FormatSpec{
		Name:       "dm",
		Extensions: []string{".dm3", ".dm4"},
		Open: func(path string, o OpenOptions) (Dataset, error) {
			if strings.ContainsAny(path, "*?[") {
				files, err := dmGlob(path)
				if err != nil {
					return nil, err
				}
				return OpenDMStack(files, DMOptions{
					NavShape: slices.Clone(o.NavShape), SigShape: slices.Clone(o.SigShape),
					SyncOffset: o.SyncOffset, NumPartitions: o.NumPartitions, MaxIOSize: o.MaxIOSize, Populate: o.Populate, IO: o.IO,
				})
			}
			return OpenDM(path, DMOptions{
				NavShape: slices.Clone(o.NavShape), SigShape: slices.Clone(o.SigShape),
				SyncOffset: o.SyncOffset, NumPartitions: o.NumPartitions, MaxIOSize: o.MaxIOSize, Populate: o.Populate, IO: o.IO,
			})
		},
	})
}
