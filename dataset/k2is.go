package dataset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/stemflow/stemflow/array"
)

// Gatan K2 IS raw datasets ("k2is") are eight sector files name_1.bin … name_8.bin and
// a name.gtg file (a DigitalMicrograph tag file holding the scan metadata).
//
// A sector file is a sequence of equal blocks of 22,360 bytes: a 40-byte big-endian
// header, then 930 rows × 16 columns of 12-bit pixels packed two to three bytes (pixel c
// of a row is bits 12c … 12c+11 of the row read as one little-endian number). Header:
//
//	 0 sync u32 (0xFFFF0055)     16 block_count u32     28 pixel x/y start u16 ×2
//	 4 (4 bytes)                  20 width u16 (256)     32 pixel x/y end u16 ×2
//	 8 version u8                 22 height u16 (1860)   36 block_size u32
//	 9 flags u8 (bit 0: shutter active), 10 (6 bytes), 24 frame_id u32
//
// A frame is 1860 × 2048 pixels: sector s (the s-th file in name order) covers columns
// 256·s … 256·s+255, and stores each frame as 32 consecutive blocks: block i holds rows
// 930·(i/16) … +929 and, within the sector, columns 16·(15 − i%16) … +15 (the blocks of
// a row run right to left).
//
// The files do not start and end at the same frame. They are synchronised as the
// reference reader does: every sector starts at its first block whose block_count is
// the largest of the eight first blocks' counts, moves on to the next frame_id when its
// next 32 blocks are not one frame, ends at its last block whose block_count is the
// smallest of the eight last blocks' counts, and drops a trailing partial frame the same
// way. The frames in between are the synchronised frames (N0 of them, counted in the
// first sector). The first frame whose blocks have the shutter-active flag set is then
// found (coarse probes every 12,800 blocks, then a bisection), giving N1 frames from it
// to the end; N0 − N1 is the detected sync offset.
//
// The nav shape is the .gtg's "SI Dimensions" Size Y × Size X. The reference's rule
// for the sync offset u (default: the detected one) is then: nav position i shows
// synchronised frame i + u − 1 (it starts one frame before the flagged one, as the flag
// is set one frame late). Without scan dimensions (no .gtg, or one without them) the
// data is a time series: nav is flat, N1 long, and nav position i shows frame i + u
// counted from the first flagged frame. Positions whose frame is not a complete
// synchronised frame receive no data.

const (
	k2Sectors     = 8
	k2HeaderBytes = 40
	k2SyncWord    = 0xFFFF0055
	k2ShutterFlag = 0x1
)

// k2Geom is the block geometry of a K2IS dataset. Real files have k2Real; tests use
// smaller ones with the same structure.
type k2Geom struct {
	blockH, blockW   int // pixels of one block: 930 rows × 16 columns
	blocksX, blocksY int // blocks per sector and frame across and down: 16 × 2
	searchStep       int // block stride of the coarse probes for the shutter flag
}

var k2Real = k2Geom{blockH: 930, blockW: 16, blocksX: 16, blocksY: 2, searchStep: 32 * 8 * 50}

func (g k2Geom) sectorW() int      { return g.blocksX * g.blockW }
func (g k2Geom) sectorH() int      { return g.blocksY * g.blockH }
func (g k2Geom) perFrame() int     { return g.blocksX * g.blocksY }
func (g k2Geom) rowBytes() int     { return g.blockW * 3 / 2 }
func (g k2Geom) dataBytes() int    { return g.blockH * g.rowBytes() }
func (g k2Geom) blockBytes() int64 { return int64(k2HeaderBytes + g.dataBytes()) }
func (g k2Geom) frameBytes() int64 { return int64(g.perFrame()) * g.blockBytes() }
func (g k2Geom) sig() []int        { return []int{g.sectorH(), k2Sectors * g.sectorW()} }

// K2ISBlockHeader is the 40-byte big-endian header of a K2IS data block.
type K2ISBlockHeader struct {
	// Sync is the block's sync word, 0xFFFF0055.
	Sync uint32
	// Version is the format version byte.
	Version uint8
	// Flags: bit 0 is set while the shutter is active.
	Flags uint8
	// BlockCount counts blocks; the sectors are synchronised on it.
	BlockCount uint32
	// Width and Height are the sector's extent in pixels (256 × 1860).
	Width, Height uint16
	// FrameID is the frame the block belongs to.
	FrameID uint32
	// PixelXStart … PixelYEnd are the block's first and last pixel in the sector.
	PixelXStart, PixelYStart, PixelXEnd, PixelYEnd uint16
	// BlockSize is the block size the camera states (0x5758).
	BlockSize uint32
}

// ShutterActive reports whether the block was recorded with the shutter active.
func (h K2ISBlockHeader) ShutterActive() bool { return h.Flags&k2ShutterFlag != 0 }

// ParseK2ISBlockHeader decodes a block header from the first 40 bytes of b; it checks
// nothing but the length (see K2ISBlockHeader.Validate).
func ParseK2ISBlockHeader(b []byte) (K2ISBlockHeader, error) {
	if len(b) < k2HeaderBytes {
		return K2ISBlockHeader{}, newErr("", "block", ErrHeader, "%d bytes, a block header has %d", len(b), k2HeaderBytes)
	}
	be := binary.BigEndian
	return K2ISBlockHeader{
		Sync: be.Uint32(b), Version: b[8], Flags: b[9], BlockCount: be.Uint32(b[16:]),
		Width: be.Uint16(b[20:]), Height: be.Uint16(b[22:]), FrameID: be.Uint32(b[24:]),
		PixelXStart: be.Uint16(b[28:]), PixelYStart: be.Uint16(b[30:]),
		PixelXEnd: be.Uint16(b[32:]), PixelYEnd: be.Uint16(b[34:]), BlockSize: be.Uint32(b[36:]),
	}, nil
}

// Validate checks what makes a block valid for the reader: the sync word 0xFFFF0055
// and the sector extent 256 × 1860. The error names the field and the expected value.
func (h K2ISBlockHeader) Validate() error { return h.validate(k2Real) }

func (h K2ISBlockHeader) validate(g k2Geom) error {
	switch {
	case h.Sync != k2SyncWord:
		return newErr("", "block.sync", ErrHeader, "0x%08X, want 0x%08X", h.Sync, uint32(k2SyncWord))
	case int(h.Width) != g.sectorW():
		return newErr("", "block.width", ErrHeader, "%d, want %d", h.Width, g.sectorW())
	case int(h.Height) != g.sectorH():
		return newErr("", "block.height", ErrHeader, "%d, want %d", h.Height, g.sectorH())
	}
	return nil
}

// k2Sector is one sector file while the dataset is synchronised.
type k2Sector struct {
	path        string
	f           *os.File
	size        int64
	first, last int64 // offsets of the first and last block of the synchronised range
	active      int64 // offset of the first block with the shutter flag set
	buf         [k2HeaderBytes]byte
}

// header reads the header of the block at off.
func (s *k2Sector) header(off int64) (K2ISBlockHeader, error) {
	if off < 0 || off+k2HeaderBytes > s.size {
		return K2ISBlockHeader{}, newErr(s.path, "block", ErrHeader, "block offset %d outside the file's %d bytes", off, s.size)
	}
	if _, err := s.f.ReadAt(s.buf[:], off); err != nil {
		return K2ISBlockHeader{}, &Error{Path: s.path, Field: "block", Detail: fmt.Sprintf("reading the header at offset %d", off), Err: err}
	}
	return ParseK2ISBlockHeader(s.buf[:])
}

// valid reads the header of the block at off and checks it (complete block, sync word,
// sector extent).
func (s *k2Sector) valid(off int64, g k2Geom) (K2ISBlockHeader, error) {
	if off+g.blockBytes() > s.size {
		return K2ISBlockHeader{}, newErr(s.path, "block", ErrHeader, "block at offset %d ends past the file's %d bytes", off, s.size)
	}
	h, err := s.header(off)
	if err != nil {
		return h, err
	}
	if err := h.validate(g); err != nil {
		e := err.(*Error)
		e.Path = s.path
		e.Detail = fmt.Sprintf("block at offset %d: %s", off, e.Detail)
		return h, e
	}
	return h, nil
}

// scan returns the offset of the first block from off on (step +B: up to last; step
// −B: down to first) whose header satisfies pred, or found = false.
func (s *k2Sector) scan(off, step int64, pred func(K2ISBlockHeader) bool) (int64, bool, error) {
	for ; off >= s.first && off <= s.last; off += step {
		h, err := s.header(off)
		if err != nil {
			return 0, false, err
		}
		if pred(h) {
			return off, true, nil
		}
	}
	return 0, false, nil
}

// oneFrame reports whether the (up to) n blocks from off in direction step all have
// the same frame_id.
func (s *k2Sector) oneFrame(off, step int64, n int) (bool, error) {
	var id uint32
	for i := 0; i < n && off >= s.first && off <= s.last; i, off = i+1, off+step {
		h, err := s.header(off)
		if err != nil {
			return false, err
		}
		if i == 0 {
			id = h.FrameID
		} else if h.FrameID != id {
			return false, nil
		}
	}
	return true, nil
}

// k2Synced is the outcome of synchronising the sectors.
type k2Synced struct {
	frames, active      int    // N0 synchronised frames; N1 of them from the first flagged one
	firstID, activeID   uint32 // frame_id of the first synchronised and the first flagged frame
	firstCount, lastCnt uint32 // the block_counts the sectors start and end at
}

// k2Sync synchronises the sectors (see the comment at the top of this file).
func k2Sync(secs []*k2Sector, g k2Geom) (k2Synced, error) {
	B := g.blockBytes()
	P := g.perFrame()
	var out k2Synced
	for _, s := range secs {
		switch {
		case s.size == 0:
			return out, newErr(s.path, "blocks", ErrFileTooShort, "the file is empty, want %d-byte blocks", B)
		case s.size%B != 0:
			last := s.size / B * B
			return out, newErr(s.path, "blocks", ErrFileTooShort, "the last block at offset %d is truncated: %d of %d bytes (the file's %d bytes are not a whole number of blocks)", last, s.size-last, B, s.size)
		}
		s.first, s.last = 0, s.size-B
	}
	// edge is a sector's first block (front) or last block (back).
	edge := func(s *k2Sector, back bool) *int64 {
		if back {
			return &s.last
		}
		return &s.first
	}
	// heads reads every sector's block at the edge.
	heads := func(back bool, what string) ([]K2ISBlockHeader, error) {
		hs := make([]K2ISBlockHeader, len(secs))
		for i, s := range secs {
			h, err := s.valid(*edge(s, back), g)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			hs[i] = h
		}
		return hs, nil
	}
	// dropPartial moves every sector's edge inwards past frame hs[0].FrameID when
	// any sector holds only part of it there.
	dropPartial := func(back bool, hs []K2ISBlockHeader) error {
		step, where := B, "after the partial first frame"
		if back {
			step, where = -B, "before the partial last frame"
		}
		partial := false
		for _, s := range secs {
			one, err := s.oneFrame(*edge(s, back), step, P)
			if err != nil {
				return err
			}
			partial = partial || !one
		}
		if !partial {
			return nil
		}
		id := hs[0].FrameID
		for _, s := range secs {
			off, ok, err := s.scan(*edge(s, back), step, func(h K2ISBlockHeader) bool { return h.FrameID != id })
			if err != nil {
				return err
			}
			if !ok {
				return newErr(s.path, "block.frame_id", ErrHeader, "no block %s (frame_id %d): no complete frame", where, id)
			}
			*edge(s, back) = off
		}
		return nil
	}
	// start every sector at the largest first block_count
	hs, err := heads(false, "first block")
	if err != nil {
		return out, err
	}
	top := 0
	for i, h := range hs {
		if h.BlockCount > hs[top].BlockCount {
			top = i
		}
	}
	want := hs[top].BlockCount
	for _, s := range secs {
		off, ok, err := s.scan(s.first, B, func(h K2ISBlockHeader) bool { return h.BlockCount == want })
		if err != nil {
			return out, err
		}
		if !ok {
			return out, newErr(s.path, "block.block_count", ErrHeader, "no block with block_count %d (the first block_count of %s), cannot synchronise the sectors", want, filepath.Base(secs[top].path))
		}
		s.first = off
	}
	if hs, err = heads(false, "synchronised first block"); err != nil {
		return out, err
	}
	// skip a partial first frame
	if err := dropPartial(false, hs); err != nil {
		return out, err
	}
	if hs, err = heads(false, "first block of the first complete frame"); err != nil {
		return out, err
	}
	out.firstID, out.firstCount = hs[0].FrameID, hs[0].BlockCount
	// end every sector at the smallest last block_count
	if hs, err = heads(true, "last block"); err != nil {
		return out, err
	}
	bot := 0
	for i, h := range hs {
		if h.BlockCount < hs[bot].BlockCount {
			bot = i
		}
	}
	want = hs[bot].BlockCount
	for _, s := range secs {
		off, ok, err := s.scan(s.last, -B, func(h K2ISBlockHeader) bool { return h.BlockCount == want })
		if err != nil {
			return out, err
		}
		if !ok {
			return out, newErr(s.path, "block.block_count", ErrHeader, "no block with block_count %d (the last block_count of %s) after the first synchronised block, cannot synchronise the sectors", want, filepath.Base(secs[bot].path))
		}
		s.last = off
	}
	if hs, err = heads(true, "synchronised last block"); err != nil {
		return out, err
	}
	// drop a partial last frame
	if err := dropPartial(true, hs); err != nil {
		return out, err
	}
	if hs, err = heads(true, "last block of the last complete frame"); err != nil {
		return out, err
	}
	out.lastCnt = hs[0].BlockCount
	s0 := secs[0]
	out.frames = int((s0.last - s0.first + B) / B / int64(P))
	if out.frames <= 0 {
		return out, newErr(s0.path, "blocks", ErrFileTooShort, "no complete synchronised frame (blocks %d … %d of %d per frame)", s0.first/B, s0.last/B, P)
	}
	// the first frame with the shutter flag
	for _, s := range secs {
		if s.active, err = s.searchActive(g); err != nil {
			return out, err
		}
	}
	// the flagged frame must be whole and the same in every sector, as must the last
	var id uint32
	for i, s := range secs {
		h, err := s.valid(s.active, g)
		if err != nil {
			return out, fmt.Errorf("first flagged block: %w", err)
		}
		if i == 0 {
			id = h.FrameID
		} else if h.FrameID != id {
			return out, newErr(s.path, "block.frame_id", ErrHeader, "first block with the shutter flag (offset %d) has frame_id %d, want %d as in %s", s.active, h.FrameID, id, filepath.Base(s0.path))
		}
		if err := s.sameFrame(s.active, B, P, id); err != nil {
			return out, err
		}
	}
	out.activeID = id
	for i, s := range secs {
		h, err := s.valid(s.last, g)
		if err != nil {
			return out, err
		}
		if i == 0 {
			id = h.FrameID
		} else if h.FrameID != id {
			return out, newErr(s.path, "block.frame_id", ErrHeader, "last synchronised block (offset %d) has frame_id %d, want %d as in %s", s.last, h.FrameID, id, filepath.Base(s0.path))
		}
		if err := s.sameFrame(s.last, -B, P, id); err != nil {
			return out, err
		}
	}
	out.active = int((s0.last - s0.active + B) / B / int64(P))
	if out.active <= 0 {
		return out, newErr(s0.path, "block.flags", ErrHeader, "the first block with the shutter flag (offset %d) lies after the last synchronised block (offset %d)", s0.active, s0.last)
	}
	return out, nil
}

// sameFrame checks that the (up to) n blocks from off in direction step have frame_id id.
func (s *k2Sector) sameFrame(off, step int64, n int, id uint32) error {
	for i := 0; i < n && off >= s.active && off <= s.last; i, off = i+1, off+step {
		h, err := s.header(off)
		if err != nil {
			return err
		}
		if h.FrameID != id {
			return newErr(s.path, "block.frame_id", ErrHeader, "block at offset %d has frame_id %d, want %d (a frame is %d consecutive blocks of one frame_id)", off, h.FrameID, id, n)
		}
	}
	return nil
}

// searchActive finds the first block from s.first with the shutter flag set, as the
// reference does: probes at 0, step, …, 9·step blocks, then a bisection below the first
// flagged probe (it assumes the flag stays set once set). A probe past the end of the
// file probes the file's last block instead (the reference fails there).
func (s *k2Sector) searchActive(g k2Geom) (int64, error) {
	B := g.blockBytes()
	n := (s.size - s.first) / B // blocks from s.first to the end of the file
	flagged := func(i int64) (bool, error) {
		h, err := s.header(s.first + i*B)
		return h.ShutterActive(), err
	}
	upper := int64(-1)
	for k := range int64(10) {
		i := min(k*int64(g.searchStep), n-1)
		ok, err := flagged(i)
		if err != nil {
			return 0, err
		}
		if ok {
			upper = i
			break
		}
		if i == n-1 {
			break
		}
	}
	if upper < 0 {
		return 0, newErr(s.path, "block.flags", ErrHeader, "no block with the shutter-active flag (bit 0) among the probes every %d blocks from offset %d", g.searchStep, s.first)
	}
	lo, hi := int64(0), upper
	for lo < hi {
		mid := (lo + hi) / 2
		ok, err := flagged(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return s.first + lo*B, nil
}

// k2Files returns the sector files of the dataset at path (a .gtg or any .bin of the
// set), in name order, and the .gtg path.
func k2Files(path string) (bins []string, gtg string, err error) {
	ext := filepath.Ext(path)
	stem := strings.TrimSuffix(path, ext)
	var prefix string
	switch strings.ToLower(ext) {
	case ".gtg":
		prefix, gtg = stem, path
	case ".bin":
		prefix = strings.TrimRight(stem, "0123456789")
		gtg = prefix + ".gtg"
	default:
		return nil, "", newErr(path, "path", ErrFormat, "extension %q, want .gtg or one of the .bin sector files", ext)
	}
	bins, _ = filepath.Glob(escapeGlob(prefix) + "*.bin")
	sort.Strings(bins)
	if len(bins) == k2Sectors {
		return bins, gtg, nil
	}
	var missing []string
	for i := 1; i <= k2Sectors; i++ {
		if p := fmt.Sprintf("%s%d.bin", prefix, i); !slices.Contains(bins, p) {
			missing = append(missing, filepath.Base(p))
		}
	}
	if len(bins) < k2Sectors {
		at := path
		if len(missing) > 0 {
			at = filepath.Join(filepath.Dir(prefix+"x"), missing[0])
		}
		return nil, "", newErr(at, "sector files", ErrNotFound, "found %d sector files %s*.bin, want %d (missing %s)", len(bins), filepath.Base(prefix), k2Sectors, strings.Join(missing, ", "))
	}
	return nil, "", newErr(path, "sector files", ErrFormat, "found %d files %s*.bin, want the %d sector files of one dataset", len(bins), filepath.Base(prefix), k2Sectors)
}

// isK2ISSector reports whether path is a .bin file of a set of eight whose first block
// starts with the K2IS sync word (cheap: a glob and a 4-byte read).
func isK2ISSector(path string) bool {
	if !strings.EqualFold(filepath.Ext(path), ".bin") {
		return false
	}
	if _, _, err := k2Files(path); err != nil {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [4]byte
	if _, err := f.ReadAt(b[:], 0); err != nil {
		return false
	}
	return binary.BigEndian.Uint32(b[:]) == k2SyncWord
}

// k2NavFromGTG reads the scan shape from a .gtg file: (Size Y, Size X) of its
// "SI Dimensions" group, nil when the file or the tags are absent.
func k2NavFromGTG(gtg string) (nav []int, detail string, err error) {
	if _, err := os.Stat(gtg); errors.Is(err, fs.ErrNotExist) {
		return nil, "no " + filepath.Base(gtg), nil
	}
	f, err := ReadDMFile(gtg)
	if err != nil {
		return nil, "", err
	}
	dims := f.Root.Find("SI Dimensions")
	y, oky := dims.Child("Size Y").Int()
	x, okx := dims.Child("Size X").Int()
	if !oky || !okx {
		return nil, filepath.Base(gtg) + " has no SI Dimensions Size X/Size Y", nil
	}
	if y <= 0 || x <= 0 || y > 1<<31 || x > 1<<31 {
		return nil, "", newErr(gtg, "SI Dimensions", ErrHeader, "Size Y %d, Size X %d, want positive scan extents", y, x)
	}
	detail = fmt.Sprintf("%s SI Dimensions: Size Y %d × Size X %d", filepath.Base(gtg), y, x)
	sp := f.Root.Find("SI Image Tags", "SI", "Acquisition", "Spatial Sampling")
	h, okh := sp.Child("Height (pixels)").Int()
	w, okw := sp.Child("Width (pixels)").Int()
	if okh && okw {
		detail += fmt.Sprintf(" (spatial sampling without flyback: %d × %d)", h, w)
	}
	return []int{int(y), int(x)}, detail, nil
}

// K2ISOptions are the options of a K2IS dataset.
type K2ISOptions struct {
	// FramedOptions: nav/sig overrides, partitions, I/O. SyncOffset has the reference's
	// K2IS meaning (see OpenK2IS) and must lie in (−N0, N0) for N0 synchronised frames.
	FramedOptions
	// DetectSyncOffset uses the detected sync offset (the frames before the first one
	// with the shutter flag) instead of FramedOptions.SyncOffset. Open sets it when the
	// sync offset is 0.
	DetectSyncOffset bool
}

// K2IS is a Gatan K2 IS raw dataset (eight sector files and a .gtg). Open one with
// OpenK2IS or Open(“k2is”, …).
type K2IS struct {
	base
	geom    k2Geom
	secs    [k2Sectors]k2Store
	mu      sync.RWMutex
	closed  bool
	pools   sync.Map
	files   []string
	details []InfoDetail
}

// k2Store is an opened sector file and the offset of the first block of stored frame 0.
type k2Store struct {
	path  string
	sto   *storage
	start int64
}

var _ Dataset = (*K2IS)(nil)

// OpenK2IS opens a K2 IS dataset from its .gtg file or any of its eight .bin sector
// files. The frames are 1860 × 2048 uint16 (12-bit) in the reference's frame order:
// the sectors are synchronised (see the package's K2IS notes in k2is.go), the nav shape
// comes from the .gtg's SI Dimensions (else it is flat: the frames from the first one
// with the shutter flag set), and the sync offset u (default: the detected one, the
// frames before the flagged one) places frames as the reference does: with scan
// dimensions nav position i shows synchronised frame i + u − 1; without, frame i + u
// counted from the first flagged frame. Dataset.SyncOffset and ImageCount describe the
// result in stemflow's terms (stored frame 0 is the first frame a nav position can show).
// A malformed or inconsistent file is an error naming the file, the block offset, the
// header field and the expected value.
func OpenK2IS(path string, opts K2ISOptions) (*K2IS, error) {
	return openK2IS(path, opts, k2Real)
}

func openK2IS(path string, opts K2ISOptions, g k2Geom) (*K2IS, error) {
	bins, gtg, err := k2Files(path)
	if err != nil {
		return nil, err
	}
	gtgNav, navDetail, err := k2NavFromGTG(gtg)
	if err != nil {
		return nil, err
	}
	secs := make([]*k2Sector, len(bins))
	defer func() {
		for _, s := range secs {
			if s != nil && s.f != nil {
				s.f.Close()
			}
		}
	}()
	for i, p := range bins {
		f, err := os.Open(p)
		if err != nil {
			return nil, openErr(p, err)
		}
		secs[i] = &k2Sector{path: p, f: f}
		st, err := f.Stat()
		if err != nil {
			return nil, &Error{Path: p, Detail: "stat failed", Err: err}
		}
		if st.IsDir() {
			return nil, newErr(p, "path", ErrNotFound, "is a directory, not a file")
		}
		secs[i].size = st.Size()
	}
	sy, err := k2Sync(secs, g)
	if err != nil {
		return nil, err
	}
	n0, n1 := sy.frames, sy.active
	native := n0 - n1
	user := opts.SyncOffset
	if opts.DetectSyncOffset {
		user = native
	}
	if user <= -n0 || user >= n0 {
		return nil, newErr(path, "sync_offset", ErrSyncOffset, "sync_offset %d outside (-%d, %d), the number of synchronised frames is %d", user, n0, n0, n0)
	}
	// The reference reads file frame f (nav position i shows f = i + so) at
	// active + (skip + f) frames in every sector.
	timeSeries := gtgNav == nil
	skip, so := 0, user
	if !timeSeries {
		switch {
		case user == native:
			skip, so = -1, 0
		case user > native:
			skip, so = -1, user-native
		case user > 0:
			skip, so = user-native-1, 0
		default:
			skip, so = -native, user-1
		}
	}
	// Stored frames are the file frames f in [a, b) that are complete synchronised
	// frames in every sector.
	B, FB := g.blockBytes(), g.frameBytes()
	a, b := 0, n0
	for _, s := range secs {
		start := s.active + int64(skip)*FB
		if d := s.first - start; d > 0 {
			a = max(a, int((d+FB-1)/FB))
		}
		b = min(b, int((s.last+B-start)/FB))
	}
	if b <= a {
		return nil, newErr(path, "sync_offset", ErrSyncOffset, "sync_offset %d leaves no complete synchronised frame to show", user)
	}
	storedNav := gtgNav
	if timeSeries {
		storedNav = []int{max(n1, 1)}
	}
	shape, err := resolveShape(path, storedNav, g.sig(), b-a, opts.ShapeOptions)
	if err != nil {
		return nil, err
	}
	if opts.NumPartitions < 0 {
		return nil, newErr(path, "num_partitions", ErrOption, "num_partitions %d is negative", opts.NumPartitions)
	}
	k := &K2IS{geom: g}
	k.base = base{
		format: "k2is", path: path, shape: shape, native: array.Uint16,
		imageCount: b - a, syncOffset: so - a, numPartitions: opts.NumPartitions,
		maxIO: opts.MaxIOSize, forceDecode: true,
	}
	if slices.Equal(shape.Sig(), g.sig()) {
		k.baseShape = []int{1, g.blockH, g.blockW}
	}
	for i, s := range secs {
		sto, err := openStorage(s.path, "blocks", s.size, opts.IO, opts.Populate)
		if err != nil {
			k.release()
			return nil, err
		}
		k.secs[i] = k2Store{path: s.path, sto: sto, start: s.active + int64(skip+a)*FB}
		k.files = append(k.files, s.path)
	}
	k.io = k.secs[0].sto.io
	k.copyIO = k.secs[0].sto.file != nil
	if _, err := os.Stat(gtg); err == nil {
		k.files = append(k.files, gtg)
	}
	navSrc := navDetail
	if timeSeries {
		navSrc += fmt.Sprintf(": a time series of the %d frames from the first with the shutter flag", n1)
	}
	if opts.NavShape != nil {
		navSrc = "given"
	}
	syncSrc := fmt.Sprintf("given: %d", user)
	if opts.DetectSyncOffset {
		syncSrc = fmt.Sprintf("detected: %d (frames before the first with the shutter flag)", native)
	}
	place := fmt.Sprintf("nav position i shows synchronised frame i%+d", user-1)
	if timeSeries {
		place = fmt.Sprintf("nav position i shows frame i%+d from the first with the shutter flag", user)
	}
	k.details = []InfoDetail{
		{"k2is", fmt.Sprintf("%d sectors × %d blocks of %d × %d 12-bit pixels per frame; %d synchronised frames from frame_id %d (block_count %d to %d), the shutter flag from frame_id %d (%d frames)",
			k2Sectors, g.perFrame(), g.blockH, g.blockW, n0, sy.firstID, sy.firstCount, sy.lastCnt, sy.activeID, n1)},
		{"nav_shape_source", navSrc},
		{"sync_offset_source", syncSrc + "; " + place},
	}
	return k, nil
}

func (k *K2IS) release() error {
	var first error
	for i := range k.secs {
		if s := k.secs[i].sto; s != nil {
			if err := s.release(); err != nil && first == nil {
				first = err
			}
			k.secs[i].sto = nil
		}
	}
	return first
}

// NeedDecode is always true: every read unpacks 12-bit pixels.
func (k *K2IS) NeedDecode(read array.DType, roi []bool) bool { return true }

// Info describes the dataset, its files and how it was synchronised.
func (k *K2IS) Info() Info {
	i := k.base.Info()
	i.ByteOrder = nil
	i.Bytes = int64(k.imageCount) * k2Sectors * k.geom.frameBytes()
	i.Files = slices.Clone(k.files)
	i.Details = slices.Clone(k.details)
	return i
}

// Close releases the files after reads in progress have finished. It is idempotent.
func (k *K2IS) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	k.closed = true
	k.pools.Clear()
	return k.release()
}

func init() {
	RegisterFormat(FormatSpec{
		Name:       "k2is",
		Extensions: []string{".gtg"},
		Claim:      isK2ISSector,
		Open: func(path string, o OpenOptions) (Dataset, error) {
			return OpenK2IS(path, K2ISOptions{FramedOptions: FramedOptionsFrom(o), DetectSyncOffset: o.SyncOffset == 0})
		},
	})
}
