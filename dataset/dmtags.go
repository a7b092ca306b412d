package dataset

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Gatan DigitalMicrograph (DM3/DM4, also K2 .gtg) files are a tree of tags. The file
// header and the tag structure are big-endian; DM3 writes sizes and counts in 4 bytes,
// DM4 in 8. Tag values and image data use the byte order named by the header's
// byte-order word (1 = little-endian, 0 = big-endian).
//
//	header:  version u32 (3 or 4), root length (u32 DM3, u64 DM4), byte order u32
//	group:   sorted u8, open u8, tag count (u32/u64), then that many entries
//	entry:   kind u8 (20 group, 21 data), label length u16, label bytes,
//	         [DM4: entry size u64], then a group or:
//	data:    "%%%%", info word count n (u32/u64), n info words (u32/u64), the value
//	info:    [type] simple value; [18, length] string of length bytes;
//	         [15, name len, field count m, (name len, type) × m] struct;
//	         [20, type, count] or [20, 15, name len, m, (name len, type) × m, count] array
//
// Simple types: 2 int16, 3 int32, 4 uint16, 5 uint32, 6 float32, 7 float64, 8 bool,
// 9 int8, 10 uint8, 11 int64, 12 uint64. Unlabelled tags (the entries of ImageList and
// Dimensions) are named by their 1-based position in their group, "1", "2", ...

// DMTagKind says what a DMTag holds.
type DMTagKind uint8

// Kinds of tags.
const (
	// DMGroup is a group of tags (Children).
	DMGroup DMTagKind = iota + 1
	// DMValue is one number (Value: int16 ... uint64, float32, float64, bool).
	DMValue
	// DMString is a string value (Value: string).
	DMString
	// DMStruct is a struct of numbers (Value: []any of numbers).
	DMStruct
	// DMArray is an array: its data lies at Offset, Size bytes; arrays of at most
	// dmSmallArray bytes are also read into Bytes.
	DMArray
)

// dmSmallArray is the largest array read into memory while parsing (text tags are
// uint16 arrays; image data is not read).
const dmSmallArray = 4096

// DMTag is one node of a DigitalMicrograph tag tree.
type DMTag struct {
	// Name is the label, or the 1-based position in the group for unlabelled tags.
	Name string
	// Kind says which of the fields below apply.
	Kind DMTagKind
	// Children are the entries of a group, in file order.
	Children []*DMTag
	// Value is a number, a string or a struct's []any.
	Value any
	// ElemType is the simple type code of an array's elements (15 for structs).
	ElemType int
	// Count is the number of elements of an array.
	Count int64
	// Offset and Size locate an array's data in the file.
	Offset, Size int64
	// Bytes holds a small array's data (at most 4,096 bytes), nil for larger ones.
	Bytes []byte
	order binary.ByteOrder
}

// DMFile is a parsed DM3/DM4 tag tree.
type DMFile struct {
	// Version is 3 or 4.
	Version int
	// ByteOrder is the order of tag values and image data.
	ByteOrder binary.ByteOrder
	// Root is the root group.
	Root *DMTag
	// Size is the file size in bytes.
	Size int64
}

// Child returns the child of a group with the given name, or nil.
func (t *DMTag) Child(name string) *DMTag {
	if t == nil {
		return nil
	}
	for _, c := range t.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Find follows a path of child names from t ("ImageList", "2", "ImageData"); nil when
// any step is missing.
func (t *DMTag) Find(path ...string) *DMTag {
	for _, p := range path {
		t = t.Child(p)
	}
	return t
}

// Int returns a numeric value (simple value, or a one-element array) as an int64.
func (t *DMTag) Int() (int64, bool) {
	f, ok := t.Float()
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
		return 0, false
	}
	return int64(f), true
}

// Float returns a numeric value as a float64.
func (t *DMTag) Float() (float64, bool) {
	if t == nil || t.Kind != DMValue {
		return 0, false
	}
	switch v := t.Value.(type) {
	case int8:
		return float64(v), true
	case uint8:
		return float64(v), true
	case int16:
		return float64(v), true
	case uint16:
		return float64(v), true
	case int32:
		return float64(v), true
	case uint32:
		return float64(v), true
	case int64:
		return float64(v), true
	case uint64:
		return float64(v), true
	case float32:
		return float64(v), true
	case float64:
		return v, true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// Text returns a string value, or a small array of 16-bit (UTF-16) or 8-bit characters
// as a string (DigitalMicrograph stores most text that way).
func (t *DMTag) Text() (string, bool) {
	if t == nil {
		return "", false
	}
	switch t.Kind {
	case DMString:
		s, ok := t.Value.(string)
		return s, ok
	case DMArray:
		if t.Bytes == nil {
			return "", false
		}
		switch t.ElemType {
		case 4, 2:
			u := make([]uint16, len(t.Bytes)/2)
			for i := range u {
				u[i] = t.order.Uint16(t.Bytes[2*i:])
			}
			return string(utf16.Decode(u)), true
		case 8, 9, 10:
			return string(t.Bytes), true
		}
	}
	return "", false
}

// ImageDims returns the Dimensions of an ImageList entry's ImageData (x first, as
// stored).
func dmDims(img *DMTag) ([]int, bool) {
	g := img.Find("ImageData", "Dimensions")
	if g == nil || g.Kind != DMGroup {
		return nil, false
	}
	out := make([]int, 0, len(g.Children))
	for _, c := range g.Children {
		v, ok := c.Int()
		if !ok || v < 0 || v > math.MaxInt32 {
			return nil, false
		}
		out = append(out, int(v))
	}
	return out, true
}

// dmSimpleSize is the size in bytes of a simple type code; 0 for others.
func dmSimpleSize(t uint64) int {
	switch t {
	case 2, 4:
		return 2
	case 3, 5, 6:
		return 4
	case 7, 11, 12:
		return 8
	case 8, 9, 10:
		return 1
	}
	return 0
}

// dmCursor reads the file through a window buffer refilled with ReadAt.
type dmCursor struct {
	r    io.ReaderAt
	path string
	size int64
	pos  int64
	buf  []byte
	bOff int64 // file offset of buf[0]
	wide bool  // DM4: 8-byte sizes
	ord  binary.ByteOrder
}

func (c *dmCursor) fail(field, format string, args ...any) error {
	return newErr(c.path, field, ErrHeader, "at byte %d: %s", c.pos, fmt.Sprintf(format, args...))
}

// take returns the next n bytes (n ≤ 64 KiB) and advances.
func (c *dmCursor) take(n int, field string) ([]byte, error) {
	if int64(n) > c.size-c.pos || n < 0 {
		return nil, newErr(c.path, field, ErrHeader, "at byte %d: truncated, need %d bytes, the file has %d", c.pos, n, c.size)
	}
	if c.pos < c.bOff || c.pos+int64(n) > c.bOff+int64(len(c.buf)) {
		w := max(int64(64<<10), int64(n))
		w = min(w, c.size-c.pos)
		if int64(cap(c.buf)) < w {
			c.buf = make([]byte, w)
		}
		c.buf = c.buf[:w]
		if _, err := c.r.ReadAt(c.buf, c.pos); err != nil && err != io.EOF {
			return nil, &Error{Path: c.path, Field: field, Detail: fmt.Sprintf("reading at byte %d", c.pos), Err: err}
		}
		c.bOff = c.pos
	}
	s := c.buf[c.pos-c.bOff : c.pos-c.bOff+int64(n)]
	c.pos += int64(n)
	return s, nil
}

func (c *dmCursor) u8(field string) (uint8, error) {
	b, err := c.take(1, field)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (c *dmCursor) u16(field string) (uint16, error) {
	b, err := c.take(2, field)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint16(b), nil
}

func (c *dmCursor) u32(field string) (uint32, error) {
	b, err := c.take(4, field)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(b), nil
}

// word reads a size/count word: 4 bytes in DM3, 8 in DM4 (big-endian).
func (c *dmCursor) word(field string) (uint64, error) {
	if !c.wide {
		v, err := c.u32(field)
		return uint64(v), err
	}
	b, err := c.take(8, field)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(b), nil
}

// ParseDMTags parses the tag tree of a DM3/DM4 file of size bytes read through r; path
// names the file in errors. Image data is not read: arrays larger than 4 KiB are only
// located (DMTag.Offset, Size). Malformed or truncated files give an *Error wrapping
// ErrHeader naming the byte offset and the field.
func ParseDMTags(r io.ReaderAt, size int64, path string) (*DMFile, error) {
	c := &dmCursor{r: r, path: path, size: size}
	ver, err := c.u32("header.version")
	if err != nil {
		return nil, err
	}
	if ver != 3 && ver != 4 {
		return nil, newErr(path, "header.version", ErrHeader, "version %d, want 3 (DM3) or 4 (DM4)", ver)
	}
	c.wide = ver == 4
	if _, err := c.word("header.root_length"); err != nil {
		return nil, err
	}
	bo, err := c.u32("header.byte_order")
	if err != nil {
		return nil, err
	}
	switch bo {
	case 1:
		c.ord = binary.LittleEndian
	case 0:
		c.ord = binary.BigEndian
	default:
		return nil, newErr(path, "header.byte_order", ErrHeader, "byte order word %d, want 1 (little-endian) or 0 (big-endian)", bo)
	}
	root := &DMTag{Kind: DMGroup, order: c.ord}
	if err := c.group(root, 1); err != nil {
		return nil, err
	}
	return &DMFile{Version: int(ver), ByteOrder: c.ord, Root: root, Size: size}, nil
}

const dmMaxDepth = 64

func (c *dmCursor) group(g *DMTag, depth int) error {
	if depth > dmMaxDepth {
		return c.fail("tags", "tag groups nested deeper than %d", dmMaxDepth)
	}
	if _, err := c.take(2, "tags.group"); err != nil { // sorted, open
		return err
	}
	n, err := c.word("tags.group.count")
	if err != nil {
		return err
	}
	// every entry takes at least 3 bytes
	if n > uint64(c.size-c.pos)/3 {
		return c.fail("tags.group.count", "group %q claims %d tags, more than the %d bytes left can hold", g.Name, n, c.size-c.pos)
	}
	for i := range n {
		kind, err := c.u8("tags.entry.kind")
		if err != nil {
			return err
		}
		ll, err := c.u16("tags.entry.label_length")
		if err != nil {
			return err
		}
		lb, err := c.take(int(ll), "tags.entry.label")
		if err != nil {
			return err
		}
		name := string(lb)
		if ll == 0 {
			name = strconv.FormatUint(i+1, 10)
		}
		t := &DMTag{Name: name, order: c.ord}
		if c.wide {
			if _, err := c.word("tags.entry.size"); err != nil {
				return err
			}
		}
		switch kind {
		case 20:
			t.Kind = DMGroup
			if err := c.group(t, depth+1); err != nil {
				return err
			}
		case 21:
			if err := c.data(t); err != nil {
				return err
			}
		default:
			return c.fail("tags.entry.kind", "tag %q of group %q has kind %d, want 20 (group) or 21 (data)", name, g.Name, kind)
		}
		g.Children = append(g.Children, t)
	}
	return nil
}

func (c *dmCursor) value(code uint64, field string) (any, error) {
	sz := dmSimpleSize(code)
	if sz == 0 {
		return nil, c.fail(field, "unknown simple type %d", code)
	}
	b, err := c.take(sz, field)
	if err != nil {
		return nil, err
	}
	o := c.ord
	switch code {
	case 2:
		return int16(o.Uint16(b)), nil
	case 3:
		return int32(o.Uint32(b)), nil
	case 4:
		return o.Uint16(b), nil
	case 5:
		return o.Uint32(b), nil
	case 6:
		return math.Float32frombits(o.Uint32(b)), nil
	case 7:
		return math.Float64frombits(o.Uint64(b)), nil
	case 8:
		return b[0] != 0, nil
	case 9:
		return int8(b[0]), nil
	case 10:
		return b[0], nil
	case 11:
		return int64(o.Uint64(b)), nil
	}
	return o.Uint64(b), nil
}

const dmMaxInfo = 1 << 12

func (c *dmCursor) data(t *DMTag) error {
	delim, err := c.take(4, "tags.data.delimiter")
	if err != nil {
		return err
	}
	if string(delim) != "%%%%" {
		return c.fail("tags.data.delimiter", "tag %q: delimiter %q, want \"%%%%%%%%\"", t.Name, delim)
	}
	n, err := c.word("tags.data.info_count")
	if err != nil {
		return err
	}
	if n == 0 || n > dmMaxInfo {
		return c.fail("tags.data.info_count", "tag %q: %d info words, want 1 to %d", t.Name, n, dmMaxInfo)
	}
	info := make([]uint64, n)
	for i := range info {
		if info[i], err = c.word("tags.data.info"); err != nil {
			return err
		}
	}
	bad := func() error {
		return c.fail("tags.data.info", "tag %q: malformed type description %v", t.Name, info)
	}
	switch info[0] {
	case 15: // struct
		if len(info) < 3 || uint64(len(info)) != 3+2*info[2] {
			return bad()
		}
		t.Kind = DMStruct
		vals := make([]any, 0, info[2])
		for f := range info[2] {
			v, err := c.value(info[4+2*f], "tags.data.struct")
			if err != nil {
				return err
			}
			vals = append(vals, v)
		}
		t.Value = vals
	case 18: // string
		if len(info) != 2 || info[1] > uint64(c.size-c.pos) {
			return bad()
		}
		b, err := c.take(int(info[1]), "tags.data.string")
		if err != nil {
			return err
		}
		t.Kind, t.Value = DMString, string(b)
	case 20: // array
		var elem uint64
		var count uint64
		switch {
		case len(info) == 3:
			t.ElemType = int(info[1])
			elem = uint64(dmSimpleSize(info[1]))
			count = info[2]
		case len(info) >= 5 && info[1] == 15 && uint64(len(info)) == 5+2*info[3]:
			t.ElemType = 15
			for f := range info[3] {
				s := uint64(dmSimpleSize(info[5+2*f]))
				if s == 0 {
					return bad()
				}
				elem += s
			}
			count = info[len(info)-1]
		default:
			return bad()
		}
		if elem == 0 {
			return c.fail("tags.data.info", "tag %q: array of unsupported element type %d", t.Name, info[1])
		}
		left := uint64(c.size - c.pos)
		if count > left/elem {
			return c.fail("tags.data.array", "tag %q: array of %d × %d bytes, only %d bytes left in the file", t.Name, count, elem, left)
		}
		t.Kind = DMArray
		t.Count = int64(count)
		t.Offset = c.pos
		t.Size = int64(count * elem)
		if t.Size <= dmSmallArray {
			b, err := c.take(int(t.Size), "tags.data.array")
			if err != nil {
				return err
			}
			t.Bytes = append([]byte(nil), b...)
		} else {
			c.pos += t.Size
		}
	default:
		if len(info) != 1 {
			return bad()
		}
		v, err := c.value(info[0], "tags.data.value")
		if err != nil {
			return err
		}
		t.Kind, t.Value = DMValue, v
	}
	return nil
}

// String renders the tree as indented "name = value" lines (for debugging and tests).
func (t *DMTag) String() string {
	var b strings.Builder
	var walk func(t *DMTag, indent string)
	walk = func(t *DMTag, indent string) {
		switch t.Kind {
		case DMGroup:
			fmt.Fprintf(&b, "%s%s/\n", indent, t.Name)
			for _, c := range t.Children {
				walk(c, indent+"  ")
			}
		case DMArray:
			if s, ok := t.Text(); ok && t.ElemType == 4 {
				fmt.Fprintf(&b, "%s%s = %q\n", indent, t.Name, s)
			} else {
				fmt.Fprintf(&b, "%s%s = array type %d × %d at %d\n", indent, t.Name, t.ElemType, t.Count, t.Offset)
			}
		default:
			fmt.Fprintf(&b, "%s%s = %v\n", indent, t.Name, t.Value)
		}
	}
	walk(t, "")
	return b.String()
}
