package hdf5

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Reading a chunk index from the file bytes: the library's per-chunk lookup
// (H5Dget_chunk_info_by_coord) costs tens of microseconds a chunk, too slow for files of
// 100,000s of chunks, and HDF5 1.10 has no call that walks the index (H5Dchunk_iter
// came with 1.12.3/1.14). So for the index HDF5 writes by default (a version 1 B-tree,
// layout message version 1–3), Open walks the tree itself from the dataset's object
// header: only the superblock's sizes, the object header's messages and the tree's
// nodes are parsed. Other index kinds (the fixed and extensible arrays and version 2
// B-trees of files written with libver "latest") go through the library.

// errNoBTree says the dataset's chunk index is not a version 1 B-tree.
var errNoBTree = errors.New("chunk index is not a version 1 B-tree")

// fileGeom is what the superblock says about addresses.
type fileGeom struct {
	base       int64 // absolute file offset that addresses are relative to
	sizeOffset int   // bytes of an address (2, 4 or 8)
	sizeLength int   // bytes of a length
}

// readSuperblock finds the superblock (at 0, 512, 1024, ...) and reads its sizes.
func readSuperblock(r io.ReaderAt, size int64) (fileGeom, error) {
	var b [48]byte
	for off := int64(0); off < size && off <= 1<<20; off = max(512, off*2) {
		if n, _ := r.ReadAt(b[:], off); n < 16 || string(b[:8]) != "\x89HDF\r\n\x1a\n" {
			continue
		}
		g := fileGeom{base: off}
		var baseAt int
		switch v := b[8]; v {
		case 0, 1:
			g.sizeOffset, g.sizeLength = int(b[13]), int(b[14])
			baseAt = 24
			if v == 1 {
				baseAt = 28
			}
		case 2, 3:
			g.sizeOffset, g.sizeLength = int(b[9]), int(b[10])
			baseAt = 12
		default:
			return g, fmt.Errorf("superblock version %d at offset %d (want 0 to 3)", v, off)
		}
		if !validSize(g.sizeOffset) || !validSize(g.sizeLength) {
			return g, fmt.Errorf("superblock at offset %d: address size %d, length size %d (want 2, 4 or 8)", off, g.sizeOffset, g.sizeLength)
		}
		base := readUint(b[baseAt:], g.sizeOffset)
		if base != uint64(off) && base != 0 {
			return g, fmt.Errorf("superblock at offset %d: base address %d", off, base)
		}
		return g, nil
	}
	return fileGeom{}, fmt.Errorf("no HDF5 superblock")
}

func validSize(n int) bool { return n == 2 || n == 4 || n == 8 }

// readUint reads a little-endian unsigned integer of n bytes (n ≤ 8, len(b) ≥ n).
func readUint(b []byte, n int) uint64 {
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// undefAddr reports whether v is the undefined address (all ones) of n bytes.
func undefAddr(v uint64, n int) bool { return v == ^uint64(0)>>(64-8*n) }

// indexReader reads parts of one file for the chunk index.
type indexReader struct {
	r    io.ReaderAt
	size int64
	g    fileGeom
	buf  []byte
}

// at reads n bytes at address addr (relative to the base).
func (x *indexReader) at(addr uint64, n int, what string) ([]byte, error) {
	off := int64(addr) + x.g.base
	if addr > 1<<62 || n < 0 || off+int64(n) > x.size {
		return nil, fmt.Errorf("%s: %d bytes at address %d pass the file end (%d bytes)", what, n, addr, x.size)
	}
	if cap(x.buf) < n {
		x.buf = make([]byte, n)
	}
	b := x.buf[:n]
	if _, err := x.r.ReadAt(b, off); err != nil {
		return nil, fmt.Errorf("%s at address %d: %w", what, addr, err)
	}
	return b, nil
}

// layoutBTree finds the data layout message in the object header at addr and returns
// the address of its version 1 chunk B-tree, or errNoBTree for other layouts.
func (x *indexReader) layoutBTree(addr uint64) (uint64, error) {
	type block struct{ addr, size uint64 }
	var blocks []block
	var msgs []byte // the messages of the header's first block, v1 or v2 framing
	head, err := x.at(addr, 16, "object header")
	if err != nil {
		return 0, err
	}
	v2 := string(head[:4]) == "OHDR"
	so, sl := x.g.sizeOffset, x.g.sizeLength
	if v2 {
		flags := head[5]
		p := 6
		if flags&0x20 != 0 {
			p += 16 // times
		}
		if flags&0x10 != 0 {
			p += 4 // attribute phase change values
		}
		w := 1 << (flags & 3)
		hb, err := x.at(addr, p+w, "object header")
		if err != nil {
			return 0, err
		}
		size := readUint(hb[p:], w)
		blocks = append(blocks, block{addr + uint64(p+w), size})
	} else {
		if head[0] != 1 {
			return 0, fmt.Errorf("object header at address %d: version %d (want 1 or the OHDR signature)", addr, head[0])
		}
		size := uint64(binary.LittleEndian.Uint32(head[8:]))
		blocks = append(blocks, block{addr + 16, size})
	}
	for i := 0; i < len(blocks); i++ {
		if i > 4096 {
			return 0, fmt.Errorf("object header at address %d: more than 4096 continuation blocks", addr)
		}
		bl := blocks[i]
		if bl.size > 1<<24 {
			return 0, fmt.Errorf("object header at address %d: block of %d bytes", addr, bl.size)
		}
		b, err := x.at(bl.addr, int(bl.size), "object header block")
		if err != nil {
			return 0, err
		}
		msgs = append(msgs[:0], b...)
		if v2 && i > 0 { // a continuation block: signature, messages, checksum
			if len(msgs) < 8 || string(msgs[:4]) != "OCHK" {
				return 0, fmt.Errorf("object header continuation at address %d: no OCHK signature", bl.addr)
			}
			msgs = msgs[4 : len(msgs)-4]
		}
		creationOrder := v2 && len(head) > 5 && head[5]&0x04 != 0
		for p := 0; ; {
			var typ, size, hdr int
			if v2 {
				hdr = 4
				if creationOrder {
					hdr = 6
				}
				if p+hdr > len(msgs) {
					break
				}
				typ, size = int(msgs[p]), int(binary.LittleEndian.Uint16(msgs[p+1:]))
			} else {
				hdr = 8
				if p+hdr > len(msgs) {
					break
				}
				typ, size = int(binary.LittleEndian.Uint16(msgs[p:])), int(binary.LittleEndian.Uint16(msgs[p+2:]))
			}
			body := p + hdr
			if body+size > len(msgs) {
				return 0, fmt.Errorf("object header at address %d: message of type %d and %d bytes passes its block", addr, typ, size)
			}
			m := msgs[body : body+size]
			switch typ {
			case 0x10: // continuation: address, length
				if len(m) < so+sl {
					return 0, fmt.Errorf("object header at address %d: short continuation message", addr)
				}
				blocks = append(blocks, block{readUint(m, so), readUint(m[so:], sl)})
			case 0x08: // data layout
				return parseLayout(m, so)
			}
			p = body + size
			if !v2 {
				p = (p + 7) &^ 7
			}
		}
	}
	return 0, fmt.Errorf("object header at address %d: no data layout message", addr)
}

// parseLayout returns the B-tree address of a chunked layout message (versions 1–3).
func parseLayout(m []byte, so int) (uint64, error) {
	if len(m) < 2 {
		return 0, fmt.Errorf("data layout message of %d bytes", len(m))
	}
	switch m[0] {
	case 1, 2:
		// version, dimensionality, class, 5 reserved bytes, address
		if len(m) < 8+so || m[2] != 2 {
			return 0, errNoBTree
		}
		return readUint(m[8:], so), nil
	case 3:
		// version, class, dimensionality, address
		if m[1] != 2 || len(m) < 3+so {
			return 0, errNoBTree
		}
		return readUint(m[3:], so), nil
	}
	return 0, errNoBTree // version 4: array or v2 B-tree indexes
}

// readBTreeIndex walks the version 1 B-tree of raw data chunks at root and fills
// chunks (C order over grid) for a dataset of the given rank and chunk shape; chunks
// the tree does not hold keep Addr -1.
func (x *indexReader) readBTreeIndex(root uint64, chunk, grid []int, chunks []Chunk) error {
	rank := len(chunk)
	so := x.g.sizeOffset
	keySize := 8 + 8*(rank+1)
	for i := range chunks {
		chunks[i] = Chunk{Addr: -1}
	}
	if undefAddr(root, so) {
		return nil // nothing written yet
	}
	type node struct {
		addr  uint64
		level int
	}
	stack := []node{{root, -1}}
	visited := 0
	for len(stack) > 0 {
		nd := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visited++; visited > 2*len(chunks)+16 {
			return fmt.Errorf("chunk B-tree: more nodes than chunks (a loop?)")
		}
		hs := 8 + 2*so
		h, err := x.at(nd.addr, hs, "chunk B-tree node")
		if err != nil {
			return err
		}
		if string(h[:4]) != "TREE" || h[4] != 1 {
			return fmt.Errorf("chunk B-tree node at address %d: signature %q type %d (want TREE, 1)", nd.addr, h[:4], h[4])
		}
		level := int(h[5])
		if nd.level >= 0 && level != nd.level {
			return fmt.Errorf("chunk B-tree node at address %d: level %d, want %d", nd.addr, level, nd.level)
		}
		n := int(binary.LittleEndian.Uint16(h[6:]))
		b, err := x.at(nd.addr+uint64(hs), (n+1)*keySize+n*so, "chunk B-tree node")
		if err != nil {
			return err
		}
		for i := range n {
			k := b[i*(keySize+so):]
			child := readUint(k[keySize:], so)
			if level > 0 {
				if len(stack) > 2*len(chunks)+16 {
					return fmt.Errorf("chunk B-tree: more nodes than chunks (a loop?)")
				}
				stack = append(stack, node{child, level - 1})
				continue
			}
			c := 0
			for d := range rank {
				off := binary.LittleEndian.Uint64(k[8+8*d:])
				if off%uint64(chunk[d]) != 0 || off/uint64(chunk[d]) >= uint64(grid[d]) {
					return fmt.Errorf("chunk B-tree node at address %d: chunk offset %d on axis %d is not a chunk of the grid (chunk %d, %d chunks)", nd.addr, off, d, chunk[d], grid[d])
				}
				c = c*grid[d] + int(off/uint64(chunk[d]))
			}
			size := binary.LittleEndian.Uint32(k)
			if undefAddr(child, so) || size == 0 {
				continue
			}
			chunks[c] = Chunk{Addr: int64(child) + x.g.base, Size: size, Mask: binary.LittleEndian.Uint32(k[4:])}
		}
	}
	return nil
}

// readChunkIndex reads the chunk index of the dataset whose object header is at
// address ohdr of file r (size bytes) into chunks; errNoBTree when its index is not a
// version 1 B-tree.
func readChunkIndex(r io.ReaderAt, size int64, ohdr uint64, chunk, grid []int, chunks []Chunk) error {
	g, err := readSuperblock(r, size)
	if err != nil {
		return err
	}
	x := &indexReader{r: r, size: size, g: g}
	root, err := x.layoutBTree(ohdr)
	if err != nil {
		return err
	}
	return x.readBTreeIndex(root, chunk, grid, chunks)
}
