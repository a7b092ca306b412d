package array

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unsafe"
)

// The .npy format (numpy's NEP 1): the magic string "\x93NUMPY", a major and a minor
// version byte, the header length (uint16 little-endian in version 1.0, uint32 in 2.0
// and 3.0), an ASCII (3.0: UTF-8) Python dict literal with the keys 'descr' (a type
// string), 'fortran_order' (bool) and 'shape' (tuple of ints), padded with spaces and a
// final newline, then the raw element bytes.

// NPYMaxHeaderLen is the largest .npy header (the dict literal) ReadNPYHeader accepts.
// Real headers are under 200 bytes; the limit keeps a corrupt length field from
// allocating gigabytes.
const NPYMaxHeaderLen = 1 << 20

const npyMagic = "\x93NUMPY"

// Sentinel errors of .npy reading and writing; NPYError wraps one of them (or an I/O
// error such as io.ErrUnexpectedEOF).
var (
	// ErrNPYFormat: the bytes are not a well-formed .npy file.
	ErrNPYFormat = errors.New("malformed .npy file")
	// ErrNPYFortranOrder: the file stores its elements in Fortran (column-major) order,
	// which stemflow does not read.
	ErrNPYFortranOrder = errors.New(".npy Fortran order not supported")
	// ErrNPYObject: the file holds Python objects (pickles), which stemflow never reads
	// or writes.
	ErrNPYObject = errors.New(".npy object arrays not supported")
	// ErrNPYUnsupported: an array that cannot be written as .npy (a sparse format, an
	// element type without a dtype, a byte string longer than its item size).
	ErrNPYUnsupported = errors.New("array not writable as .npy")
)

// NPYError describes a .npy problem: which file (empty when reading a plain reader),
// which part of it, and what was expected.
type NPYError struct {
	Path  string // the file, "" for a reader
	Field string // "magic", "version", "header length", "header", "descr", "fortran_order", "shape", "data" or "array"
	Msg   string // what was found and what was expected
	Err   error  // ErrNPYFormat, ErrNPYFortranOrder, ErrNPYObject, ErrNPYUnsupported, ErrDType or an I/O error
}

// Error formats the error as "npy <path>: <field>: <msg>".
func (e *NPYError) Error() string {
	var b strings.Builder
	b.WriteString("npy")
	if e.Path != "" {
		b.WriteString(" file ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.Field)
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the wrapped sentinel or I/O error.
func (e *NPYError) Unwrap() error { return e.Err }

func npyErr(field string, err error, format string, args ...any) error {
	return &NPYError{Field: field, Msg: fmt.Sprintf(format, args...), Err: err}
}

// withPath sets the path on an *NPYError inside err, or wraps err with the path.
func withPath(path string, err error) error {
	var ne *NPYError
	if errors.As(err, &ne) {
		if ne.Path == "" {
			ne.Path = path
		}
		return err
	}
	return fmt.Errorf("npy file %s: %w", path, err)
}

// NPYHeader is the parsed header of a .npy file.
type NPYHeader struct {
	Major, Minor int              // format version: 1.0, 2.0 or 3.0
	DType        DType            // element type
	ByteOrder    binary.ByteOrder // binary.LittleEndian or binary.BigEndian; nil when byte order does not apply (one-byte items, bool, bytes, object)
	Shape        []int            // extents; empty for a 0-d array
	FortranOrder bool             // elements stored in column-major order
	DataOffset   int64            // offset of the first element byte from the start of the file
}

// Size returns the number of elements (1 for a 0-d array).
func (h NPYHeader) Size() int { return prod(h.Shape) }

// DataLen returns the number of data bytes: Size() × DType.ItemSize().
func (h NPYHeader) DataLen() int64 { return int64(h.Size()) * int64(h.DType.ItemSize()) }

// ReadNPYHeader reads a .npy header from r, leaving r positioned at the first data byte
// (DataOffset bytes after where it started). It accepts versions 1.0, 2.0 and 3.0, every
// dtype ParseDType knows, and reports — without rejecting — Fortran order and object
// dtype: check FortranOrder and DType before mapping the data. Errors are *NPYError
// values wrapping ErrNPYFormat, ErrDType or io.ErrUnexpectedEOF.
func ReadNPYHeader(r io.Reader) (NPYHeader, error) {
	var h NPYHeader
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return h, npyErr("magic", eofUnexpected(err), "reading the 8-byte preamble")
	}
	if string(pre[:6]) != npyMagic {
		return h, npyErr("magic", ErrNPYFormat, "got %q, want %q", pre[:6], npyMagic)
	}
	h.Major, h.Minor = int(pre[6]), int(pre[7])
	var hlen int
	switch {
	case h.Major == 1 && h.Minor == 0:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return h, npyErr("header length", eofUnexpected(err), "reading 2 bytes")
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
		h.DataOffset = 10
	case (h.Major == 2 || h.Major == 3) && h.Minor == 0:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return h, npyErr("header length", eofUnexpected(err), "reading 4 bytes")
		}
		n := binary.LittleEndian.Uint32(b[:])
		if n > NPYMaxHeaderLen {
			return h, npyErr("header length", ErrNPYFormat, "%d bytes, want at most %d", n, NPYMaxHeaderLen)
		}
		hlen = int(n)
		h.DataOffset = 12
	default:
		return h, npyErr("version", ErrNPYFormat, "%d.%d, want 1.0, 2.0 or 3.0", h.Major, h.Minor)
	}
	buf := make([]byte, hlen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return h, npyErr("header", eofUnexpected(err), "reading %d header bytes", hlen)
	}
	h.DataOffset += int64(hlen)
	if err := parseNPYDict(buf, &h); err != nil {
		return NPYHeader{}, err
	}
	return h, nil
}

// npyQuoteMax caps how many bytes of a file an error quotes.
const npyQuoteMax = 64

// quoteCapped quotes b for an error message: escaped (strconv.Quote: control and
// non-UTF-8 bytes as escapes) and cut to npyQuoteMax bytes with the total length noted,
// so a corrupt header never floods a terminal.
func quoteCapped(b []byte) string {
	if len(b) <= npyQuoteMax {
		return strconv.Quote(string(b))
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(string(b[:npyQuoteMax])), len(b))
}

// parseHalf recognises numpy's float16 type strings ("<f2", ">e", "float16", ...): they
// are not a ParseDType dtype, but .npy files may store them (decoded to float32).
func parseHalf(v string) (DType, binary.ByteOrder, bool) {
	body := v
	order := nativeOrder
	if len(body) > 1 {
		switch body[0] {
		case '<':
			order, body = binary.LittleEndian, body[1:]
		case '>':
			order, body = binary.BigEndian, body[1:]
		case '=', '|':
			body = body[1:]
		}
	}
	switch body {
	case "f2", "e", "float16", "half":
		return Float16, order, true
	}
	return DType{}, nil, false
}

func eofUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// npyLexer reads the Python literal of a .npy header.
type npyLexer struct {
	s   []byte
	pos int
}

func (l *npyLexer) skipSpace() {
	for l.pos < len(l.s) {
		switch l.s[l.pos] {
		case ' ', '\t', '\n', '\r':
			l.pos++
		default:
			return
		}
	}
}

func (l *npyLexer) peek() byte {
	l.skipSpace()
	if l.pos < len(l.s) {
		return l.s[l.pos]
	}
	return 0
}

func (l *npyLexer) expect(c byte) bool {
	if l.peek() == c {
		l.pos++
		return true
	}
	return false
}

func (l *npyLexer) str() (string, bool) {
	q := l.peek()
	if q != '\'' && q != '"' {
		return "", false
	}
	end := bytes.IndexByte(l.s[l.pos+1:], q)
	if end < 0 {
		return "", false
	}
	v := string(l.s[l.pos+1 : l.pos+1+end])
	if strings.ContainsRune(v, '\\') {
		return "", false
	}
	l.pos += end + 2
	return v, true
}

func (l *npyLexer) word() string {
	l.skipSpace()
	start := l.pos
	for l.pos < len(l.s) {
		c := l.s[l.pos]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			l.pos++
			continue
		}
		break
	}
	return string(l.s[start:l.pos])
}

// parseNPYDict parses {'descr': ..., 'fortran_order': ..., 'shape': (...), } into h.
func parseNPYDict(s []byte, h *NPYHeader) error {
	l := &npyLexer{s: s}
	bad := func(format string, args ...any) error {
		return npyErr("header", ErrNPYFormat, format+" in %s", append(args, quoteCapped(s))...)
	}
	if !l.expect('{') {
		return bad("want a dict literal starting with '{'")
	}
	var haveDescr, haveFortran, haveShape bool
	for {
		if l.expect('}') {
			break
		}
		key, ok := l.str()
		if !ok {
			return bad("want a quoted key at byte %d", l.pos)
		}
		if !l.expect(':') {
			return bad("want ':' after key %s", quoteCapped([]byte(key)))
		}
		switch key {
		case "descr":
			if haveDescr {
				return bad("duplicate key 'descr'")
			}
			haveDescr = true
			if l.peek() == '[' {
				return npyErr("descr", ErrDType, "structured dtypes (a list descr) are not supported")
			}
			v, ok := l.str()
			if !ok {
				return npyErr("descr", ErrNPYFormat, "want a quoted type string such as '<f4'")
			}
			dt, order, err := ParseDType(v)
			if err != nil {
				if hdt, horder, ok := parseHalf(v); ok {
					dt, order, err = hdt, horder, nil
				} else {
					if len(v) > npyQuoteMax {
						err = ErrDType // its message would quote all of v
					}
					return npyErr("descr", err, "type string %s", quoteCapped([]byte(v)))
				}
			}
			h.DType, h.ByteOrder = dt, order
			if order == nil && dt.byteOrderApplies() {
				h.ByteOrder = nativeOrder // '|f4' and friends mean native order
			}
		case "fortran_order":
			if haveFortran {
				return bad("duplicate key 'fortran_order'")
			}
			haveFortran = true
			switch w := l.word(); w {
			case "True":
				h.FortranOrder = true
			case "False":
				h.FortranOrder = false
			default:
				return npyErr("fortran_order", ErrNPYFormat, "got %s, want True or False", quoteCapped([]byte(w)))
			}
		case "shape":
			if haveShape {
				return bad("duplicate key 'shape'")
			}
			haveShape = true
			shape, err := l.tuple()
			if err != nil {
				return err
			}
			h.Shape = shape
		default:
			return bad("unexpected key %s (want only 'descr', 'fortran_order', 'shape')", quoteCapped([]byte(key)))
		}
		if l.expect(',') {
			continue
		}
		if l.expect('}') {
			break
		}
		return bad("want ',' or '}' at byte %d", l.pos)
	}
	l.skipSpace()
	if l.pos != len(l.s) {
		return bad("trailing bytes after the dict at byte %d", l.pos)
	}
	switch {
	case !haveDescr:
		return npyErr("descr", ErrNPYFormat, "key 'descr' missing")
	case !haveFortran:
		return npyErr("fortran_order", ErrNPYFormat, "key 'fortran_order' missing")
	case !haveShape:
		return npyErr("shape", ErrNPYFormat, "key 'shape' missing")
	}
	// the data size must fit in an int64 (and an int) of bytes
	total := int64(h.DType.ItemSize())
	for _, d := range h.Shape {
		if d != 0 && total > math.MaxInt64/int64(d) {
			return npyErr("shape", ErrNPYFormat, "%v × %d-byte items overflows 64 bits", h.Shape, h.DType.ItemSize())
		}
		total *= int64(d)
	}
	return nil
}

// tuple parses a Python tuple of non-negative ints: (), (5,), (2, 3) — a trailing 'L'
// (Python 2 longs) is accepted.
func (l *npyLexer) tuple() ([]int, error) {
	if !l.expect('(') {
		return nil, npyErr("shape", ErrNPYFormat, "want a tuple such as (2, 3)")
	}
	shape := []int{}
	for {
		if l.expect(')') {
			return shape, nil
		}
		sign := ""
		if c := l.peek(); c == '-' || c == '+' {
			sign = string(c)
			l.pos++
		}
		w := l.word()
		w = strings.TrimSuffix(w, "L")
		n, err := strconv.Atoi(w)
		switch {
		case sign == "-" && err == nil:
			return nil, npyErr("shape", ErrNPYFormat, "extent -%s is negative, want a non-negative integer", w)
		case w == "" && l.pos < len(l.s):
			return nil, npyErr("shape", ErrNPYFormat, "want an extent at byte %d, got %s", l.pos, quoteCapped(l.s[l.pos:min(l.pos+16, len(l.s))]))
		case err != nil || sign != "" || strings.ContainsAny(w, "_"):
			return nil, npyErr("shape", ErrNPYFormat, "extent %s, want a non-negative integer", quoteCapped([]byte(sign+w)))
		}
		shape = append(shape, n)
		if l.expect(',') {
			continue
		}
		if l.expect(')') { // (5) without the comma: numpy never writes it; accept it
			return shape, nil
		}
		return nil, npyErr("shape", ErrNPYFormat, "want ',' or ')' after extent %d", n)
	}
}

// ReadNPY reads a whole .npy array from r: a *Dense[T] of the file's dtype (as New
// would make it) in C order, decoded to this machine's byte order; float16 data becomes
// a *Dense[float32]. Byte strings S<n>
// become a *Dense[string] of dtype Bytes(n) with trailing NUL bytes removed. Fortran
// order and object arrays give errors wrapping ErrNPYFortranOrder and ErrNPYObject;
// data shorter than the header promises gives one wrapping io.ErrUnexpectedEOF. Memory
// grows with the bytes actually read, so a corrupt shape cannot make it allocate more
// than about twice the data present. Bytes after the data are not read.
func ReadNPY(r io.Reader) (Array, error) {
	avail := int64(-1)
	if l, ok := r.(interface{ Len() int }); ok { // bytes.Reader, bytes.Buffer, strings.Reader
		avail = int64(l.Len())
	}
	return readNPY(r, avail)
}

// readNPY is ReadNPY knowing that avail bytes remain in r from its current position
// (-1: unknown). When the data is known to be there it is read into one exact
// allocation.
func readNPY(r io.Reader, avail int64) (Array, error) {
	h, err := ReadNPYHeader(r)
	if err != nil {
		return nil, err
	}
	exact := avail >= 0 && avail-h.DataOffset >= h.DataLen()
	if h.FortranOrder {
		return nil, npyErr("fortran_order", ErrNPYFortranOrder, "the file is column-major; re-save it with numpy.ascontiguousarray")
	}
	if h.DType == Object {
		return nil, npyErr("descr", ErrNPYObject, "object arrays hold pickles")
	}
	n := h.Size()
	swap := h.ByteOrder != nil && h.ByteOrder != nativeOrder
	var a Array
	switch h.DType {
	case Bool:
		b, err := readNumeric[uint8](r, n, false, exact)
		if err != nil {
			return nil, err
		}
		d := make([]bool, n)
		for i, v := range b {
			d[i] = v != 0
		}
		a = Wrap(d, h.Shape...)
	case Int8:
		a, err = readInto[int8](r, n, swap, exact, h.Shape)
	case Int16:
		a, err = readInto[int16](r, n, swap, exact, h.Shape)
	case Int32:
		a, err = readInto[int32](r, n, swap, exact, h.Shape)
	case Int64:
		a, err = readInto[int64](r, n, swap, exact, h.Shape)
	case Uint8:
		a, err = readInto[uint8](r, n, swap, exact, h.Shape)
	case Uint16:
		a, err = readInto[uint16](r, n, swap, exact, h.Shape)
	case Uint32:
		a, err = readInto[uint32](r, n, swap, exact, h.Shape)
	case Uint64:
		a, err = readInto[uint64](r, n, swap, exact, h.Shape)
	case Float32:
		a, err = readInto[float32](r, n, swap, exact, h.Shape)
	case Float64:
		a, err = readInto[float64](r, n, swap, exact, h.Shape)
	case Complex64:
		a, err = readInto[complex64](r, n, swap, exact, h.Shape)
	case Complex128:
		a, err = readInto[complex128](r, n, swap, exact, h.Shape)
	case Float16: // decoded to float32
		var hb []uint16
		if hb, err = readNumeric[uint16](r, n, swap, exact); err == nil {
			d := make([]float32, n)
			for i, v := range hb {
				d[i] = HalfToFloat32(v)
			}
			a = Wrap(d, h.Shape...)
		}
	default: // byte strings
		a, err = readBytes(r, n, h.DType, h.Shape)
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

type fixedNum interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 |
		~float32 | ~float64 | ~complex64 | ~complex128
}

func readInto[T fixedNum](r io.Reader, n int, swap, exact bool, shape []int) (Array, error) {
	d, err := readNumeric[T](r, n, swap, exact)
	if err != nil {
		return nil, err
	}
	return Wrap(d, shape...), nil
}

// npyChunk is the size of the pieces .npy data is read and written in.
const npyChunk = 1 << 20

func asBytes[T any](d []T) []byte {
	if len(d) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(&d[0])), len(d)*int(unsafe.Sizeof(z)))
}

// readNumeric reads n elements of T straight into a slice and byte-swaps them when swap
// is set. With exact (the bytes are known to be there) the slice is allocated once;
// otherwise it grows with the data actually read.
func readNumeric[T fixedNum](r io.Reader, n int, swap, exact bool) ([]T, error) {
	var z T
	sz := int(unsafe.Sizeof(z))
	step := max(npyChunk/sz, 1)
	if exact {
		step = n
	}
	d := make([]T, 0, min(n, step))
	for len(d) < n {
		k := min(n-len(d), max(step, len(d)))
		d = slices.Grow(d, k)
		if _, err := io.ReadFull(r, asBytes(d[len(d):len(d)+k])); err != nil {
			return nil, npyErr("data", eofUnexpected(err), "want %d bytes of data, file ends early", int64(n)*int64(sz))
		}
		d = d[:len(d)+k]
	}
	if swap {
		unit := sz
		switch any(z).(type) {
		case complex64, complex128:
			unit = sz / 2
		}
		swapBytes(asBytes(d), unit)
	}
	return d, nil
}

// swapBytes reverses every unit-byte group of b.
func swapBytes(b []byte, unit int) {
	for i := 0; i+unit <= len(b); i += unit {
		g := b[i : i+unit]
		for x, y := 0, unit-1; x < y; x, y = x+1, y-1 {
			g[x], g[y] = g[y], g[x]
		}
	}
}

func readBytes(r io.Reader, n int, dt DType, shape []int) (Array, error) {
	size := dt.ItemSize()
	per := max(npyChunk/size, 1)
	buf := make([]byte, min(n, per)*size)
	d := make([]string, 0, min(n, per))
	for len(d) < n {
		k := min(n-len(d), per)
		b := buf[:k*size]
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, npyErr("data", eofUnexpected(err), "want %d bytes of data, file ends early", int64(n)*int64(size))
		}
		for i := range k {
			d = append(d, string(bytes.TrimRight(b[i*size:(i+1)*size], "\x00")))
		}
	}
	return WrapBytes(size, d, shape...), nil
}

// ReadNPYFile reads the .npy file at path (see ReadNPY); errors name the file.
func ReadNPYFile(path string) (Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	avail := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		avail = st.Size()
	}
	a, err := readNPY(bufio.NewReaderSize(f, npyChunk), avail)
	if err != nil {
		return nil, withPath(path, err)
	}
	return a, nil
}

// npyHeaderBytes returns the preamble and padded header for dt and shape (C order,
// little-endian): version 1.0 unless the header needs more than 65535 bytes.
func npyHeaderBytes(dt DType, shape []int) []byte {
	dict := "{'descr': '" + dt.TypeStr(binary.LittleEndian) + "', 'fortran_order': False, 'shape': " + tupleString(shape) + ", }"
	pre := 10
	hl := len(dict) + 1
	total := (pre + hl + 63) / 64 * 64
	major := byte(1)
	if total-pre > math.MaxUint16 {
		pre = 12
		total = (pre + hl + 63) / 64 * 64
		major = 2
	}
	out := make([]byte, 0, total)
	out = append(out, npyMagic...)
	out = append(out, major, 0)
	if major == 1 {
		out = binary.LittleEndian.AppendUint16(out, uint16(total-pre))
	} else {
		out = binary.LittleEndian.AppendUint32(out, uint32(total-pre))
	}
	out = append(out, dict...)
	for len(out) < total-1 {
		out = append(out, ' ')
	}
	return append(out, '\n')
}

// WriteNPY writes a as a version 1.0 .npy file (2.0 if the header is very long):
// little-endian, C order, whatever a's strides. a must be a *Dense of a numeric Go type
// (int and uint are written as int64 and uint64) or a *Dense[string] of dtype Bytes(n)
// whose values are at most n bytes. Sparse arrays, object arrays and other element types
// give errors wrapping ErrNPYUnsupported or ErrNPYObject; nothing is written then.
func WriteNPY(w io.Writer, a Array) error {
	switch d := a.(type) {
	case *Dense[bool]:
		u := Zeros[uint8](d.shape...)
		boolIntoReal(u.data, d.Contiguous().data)
		u.dtype = Bool
		return writeNum(w, u)
	case *Dense[int]:
		c := Zeros[int64](d.shape...)
		realInto(c.data, d.Contiguous().data)
		return writeNum(w, c)
	case *Dense[uint]:
		c := Zeros[uint64](d.shape...)
		realInto(c.data, d.Contiguous().data)
		return writeNum(w, c)
	case *Dense[int8]:
		return writeNum(w, d)
	case *Dense[int16]:
		return writeNum(w, d)
	case *Dense[int32]:
		return writeNum(w, d)
	case *Dense[int64]:
		return writeNum(w, d)
	case *Dense[uint8]:
		return writeNum(w, d)
	case *Dense[uint16]:
		return writeNum(w, d)
	case *Dense[uint32]:
		return writeNum(w, d)
	case *Dense[uint64]:
		return writeNum(w, d)
	case *Dense[float32]:
		return writeNum(w, d)
	case *Dense[float64]:
		return writeNum(w, d)
	case *Dense[complex64]:
		return writeNum(w, d)
	case *Dense[complex128]:
		return writeNum(w, d)
	case *Dense[string]:
		return writeStrings(w, d)
	case nil:
		return npyErr("array", ErrNPYUnsupported, "nil array")
	}
	if a.DType() == Object {
		return npyErr("array", ErrNPYObject, "%T holds objects", a)
	}
	return npyErr("array", ErrNPYUnsupported, "%T (format %v): densify it first", a, a.Format())
}

func writeNum[T fixedNum](w io.Writer, a *Dense[T]) error {
	if a.IsContiguous() && nativeOrder == binary.LittleEndian {
		if _, err := w.Write(npyHeaderBytes(a.dtype, a.shape)); err != nil {
			return err
		}
		_, err := w.Write(asBytes(contiguousData(a)))
		return err
	}
	return writeStrided(w, a)
}

// writeStrided writes a's elements in C order, gathering one innermost row at a time
// into a reused chunk buffer.
func writeStrided[D fixedNum](w io.Writer, a *Dense[D]) error {
	if _, err := w.Write(npyHeaderBytes(a.dtype, a.shape)); err != nil {
		return err
	}
	n := a.Size()
	if n == 0 {
		return nil
	}
	var z D
	sz := int(unsafe.Sizeof(z))
	unit := sz
	switch any(z).(type) {
	case complex64, complex128:
		unit = sz / 2
	}
	swap := nativeOrder != binary.LittleEndian && unit > 1
	buf := make([]D, min(max(npyChunk/sz, 1), n))
	k := 0
	flush := func() error {
		b := asBytes(buf[:k])
		if swap {
			swapBytes(b, unit)
		}
		k = 0
		_, err := w.Write(b)
		return err
	}
	if len(a.shape) == 0 {
		buf[0] = a.data[a.offset]
		k = 1
		return flush()
	}
	inner, st := a.shape[len(a.shape)-1], a.strides[len(a.shape)-1]
	var err error
	a.rows(func(off int) {
		for j := 0; j < inner && err == nil; {
			m := min(inner-j, len(buf)-k)
			dst := buf[k : k+m]
			for i := range dst {
				dst[i] = a.data[off+(j+i)*st]
			}
			k += m
			j += m
			if k == len(buf) {
				err = flush()
			}
		}
	})
	if err != nil {
		return err
	}
	if k > 0 {
		return flush()
	}
	return nil
}

func writeStrings(w io.Writer, a *Dense[string]) error {
	if a.dtype.kind != KindBytes {
		return npyErr("array", ErrNPYObject, "[]string array of dtype %v: make it with New(Bytes(n)) or WrapBytes to write S<n>", a.dtype)
	}
	size := a.dtype.ItemSize()
	for i, v := range a.All() {
		if len(v) > size {
			return npyErr("array", ErrNPYUnsupported, "element %d is %d bytes, longer than the item size of %v", i, len(v), a.dtype)
		}
	}
	if _, err := w.Write(npyHeaderBytes(a.dtype, a.shape)); err != nil {
		return err
	}
	per := max(npyChunk/size, 1)
	buf := make([]byte, 0, min(per, a.Size())*size)
	for _, v := range a.All() {
		buf = append(buf, v...)
		for range size - len(v) {
			buf = append(buf, 0)
		}
		if len(buf) >= per*size {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if len(buf) > 0 {
		_, err := w.Write(buf)
		return err
	}
	return nil
}

// WriteNPYFile writes a to path as .npy (see WriteNPY), atomically: the bytes go to a
// temporary file in the same directory, which is synced and then renamed over path, so
// path holds either its old contents or the complete new file, never a partial one. The
// file gets mode 0644. Errors name the file.
func WriteNPYFile(path string, a Array) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("npy file %s: %w", path, err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, npyChunk)
	if err := WriteNPY(bw, a); err != nil {
		return withPath(path, err)
	}
	for _, step := range []func() error{bw.Flush, func() error { return f.Chmod(0o644) }, f.Sync, f.Close} {
		if err := step(); err != nil {
			return fmt.Errorf("npy file %s: %w", path, err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("npy file %s: %w", path, err)
	}
	done = true
	// make the rename durable; failure here does not undo a complete file
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
