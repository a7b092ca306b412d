package dataset

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// Direct Electron bad pixel maps ("name.seq.Config.Metadata.xml") hold <BadPixelMap
// Columns= Rows= [Binning=]> elements anywhere in the tree, each with <Defect> children:
// one attribute Row, Rows="a-b", Column or Columns="a-b" marks whole rows or columns
// (ranges inclusive), Column and Row together one pixel. The map used is the one with
// the most columns among the unbinned maps (binning < 2) when the camera's hardware
// binning is below 2, else among the binned ones. Its mask has Columns × Rows axes
// (first axis Columns, as the reference builds it; the detectors are square) and is
// cropped to the acquired window: rows OffsetY … OffsetY + 2·⌊UnbinnedFrameSizeY/2⌋,
// columns likewise, all halved when binned, and only when the window fits in the map.
// The camera values are little-endian int32s at byte 282 of "name.seq.metadata":
// metadata size, version, UnbinnedFrameSizeX, UnbinnedFrameSizeY, OffsetX, OffsetY,
// HardwareBinning, ....

// seqDEMeta are the camera values of a .seq.metadata file the bad pixel map needs.
type seqDEMeta struct {
	UnbinnedX, UnbinnedY, OffsetX, OffsetY, Binning int
}

// parseSEQDEMeta reads the camera values of a .seq.metadata file.
func parseSEQDEMeta(b []byte, path string) (seqDEMeta, error) {
	if len(b) < 282+7*4 {
		return seqDEMeta{}, &ShortFileError{Path: path, Field: "camera values", Need: 282 + 7*4, Have: int64(len(b))}
	}
	i := func(k int) int { return int(int32(binary.LittleEndian.Uint32(b[282+4*k:]))) }
	return seqDEMeta{UnbinnedX: i(2), UnbinnedY: i(3), OffsetX: i(4), OffsetY: i(5), Binning: i(6)}, nil
}

type seqDefectMap struct {
	cols, rows, binning int
	defects             []map[string]string
}

// parseSEQBadPixels returns the excluded-pixel mask (rows × cols, C order) of a DE bad
// pixel XML for the camera values m.
func parseSEQBadPixels(x []byte, m seqDEMeta, path string) (mask []bool, rows, cols int, err error) {
	d := xml.NewDecoder(bytes.NewReader(x))
	var maps []*seqDefectMap
	var cur *seqDefectMap
	depth, curDepth := 0, -1
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, 0, newErr(path, "xml", ErrHeader, "%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			attrs := map[string]string{}
			for _, a := range t.Attr {
				attrs[a.Name.Local] = a.Value
			}
			switch {
			case t.Name.Local == "BadPixelMap" && cur == nil:
				c, err1 := strconv.Atoi(attrs["Columns"])
				r, err2 := strconv.Atoi(attrs["Rows"])
				if err1 != nil || err2 != nil || c <= 0 || r <= 0 || c > 1<<16 || r > 1<<16 || c*r > 1<<26 {
					return nil, 0, 0, newErr(path, "BadPixelMap", ErrHeader, "Columns %q, Rows %q, want positive integers with at most 2^26 pixels", attrs["Columns"], attrs["Rows"])
				}
				bin := 1
				if v, ok := attrs["Binning"]; ok {
					if bin, err = strconv.Atoi(v); err != nil {
						return nil, 0, 0, newErr(path, "BadPixelMap.Binning", ErrHeader, "%q, want an integer", v)
					}
				}
				cur, curDepth = &seqDefectMap{cols: c, rows: r, binning: bin}, depth
				maps = append(maps, cur)
			case t.Name.Local == "Defect" && cur != nil && depth == curDepth+1:
				cur.defects = append(cur.defects, attrs)
			}
		case xml.EndElement:
			if depth == curDepth {
				cur, curDepth = nil, -1
			}
			depth--
		}
	}
	if len(maps) == 0 {
		return nil, 0, 0, newErr(path, "BadPixelMap", ErrHeader, "no BadPixelMap element")
	}
	best, bestCols := 0, -1
	for i, mp := range maps {
		c := 0
		if (m.Binning < 2) == (mp.binning < 2) {
			c = mp.cols
		}
		if c > bestCols {
			best, bestCols = i, c
		}
	}
	mp := maps[best]
	n0, n1 := mp.cols, mp.rows // the mask's axes, as the reference shapes it
	full := make([]bool, n0*n1)
	rng := func(s string, n int, field string) (int, int, error) {
		a, b, isRange := strings.Cut(s, "-")
		lo, err1 := strconv.Atoi(strings.TrimSpace(a))
		hi := lo
		var err2 error
		if isRange {
			hi, err2 = strconv.Atoi(strings.TrimSpace(b))
		}
		if err1 != nil || err2 != nil || lo < 0 || hi < lo || hi >= n {
			return 0, 0, newErr(path, "Defect."+field, ErrHeader, "%q, want an index or range inside 0 … %d", s, n-1)
		}
		return lo, hi, nil
	}
	for _, df := range mp.defects {
		if len(df) == 1 {
			for k, v := range df {
				switch k {
				case "Row", "Rows":
					lo, hi, err := rng(v, n0, k)
					if err != nil {
						return nil, 0, 0, err
					}
					for r := lo; r <= hi; r++ {
						for c := range n1 {
							full[r*n1+c] = true
						}
					}
				case "Column", "Columns":
					lo, hi, err := rng(v, n1, k)
					if err != nil {
						return nil, 0, 0, err
					}
					for r := range n0 {
						for c := lo; c <= hi; c++ {
							full[r*n1+c] = true
						}
					}
				}
			}
			continue
		}
		r, err1 := strconv.Atoi(df["Row"])
		c, err2 := strconv.Atoi(df["Column"])
		if err1 != nil || err2 != nil || r < 0 || r >= n0 || c < 0 || c >= n1 {
			return nil, 0, 0, newErr(path, "Defect", ErrHeader, "pixel Row %q, Column %q, want indices inside %d × %d", df["Row"], df["Column"], n0, n1)
		}
		full[r*n1+c] = true
	}
	reqY, reqX, offY, offX := m.UnbinnedY, m.UnbinnedX, m.OffsetY, m.OffsetX
	if m.Binning > 1 {
		reqY, reqX, offY, offX = reqY/2, reqX/2, offY/2, offX/2
	}
	if offY >= 0 && offX >= 0 && reqY > 0 && reqX > 0 && offY+reqY <= n0 && offX+reqX <= n1 {
		hy, hx := 2*(reqY/2), 2*(reqX/2)
		out := make([]bool, hy*hx)
		for r := range hy {
			copy(out[r*hx:(r+1)*hx], full[(offY+r)*n1+offX:])
		}
		return out, hy, hx, nil
	}
	return full, n0, n1, nil
}
