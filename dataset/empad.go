package dataset

import (
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/stemflow/stemflow/array"
)

// EMPAD (Thermo Fisher / Cornell) datasets are an .xml description and a .raw file of
// little-endian float32 frames of 130 rows × 128 columns: the 128 × 128 signal followed
// by 2 rows (1,024 bytes) of per-frame metadata, which are dropped. The XML's
// <raw_file filename=...> names the raw file (its base name, in the XML's folder); for
// <type>scan</type> (or no type) the nav shape is (scan_resolution_y, scan_resolution_x)
// of the <scan_parameters mode="acquire"> element, for <type>series</type> it is
// (<count>,). Some acquisition software writes the "acquire" resolution of a scan whose
// raw file actually holds the "search" scan: when the raw file's size does not match
// the "acquire" nav shape but matches the "search" one, the "search" shape is used.

const (
	empadRows, empadCols = 130, 128
	empadSig             = 128
	empadFrameBytes      = empadRows * empadCols * 4
)

// EMPADInfo is what the XML says.
type EMPADInfo struct {
	// RawPath is the raw file: the XML's folder joined with the base name it gives.
	RawPath string
	// NavShape is the nav shape the XML gives for the chosen scan parameters.
	NavShape []int
	// Type is "scan" or "series".
	Type string
}

type empadXML struct {
	RawFile *struct {
		Filename *string `xml:"filename,attr"`
	} `xml:"raw_file"`
	Type *string `xml:"type"`
	Scan []struct {
		Mode string  `xml:"mode,attr"`
		X    *string `xml:"scan_resolution_x"`
		Y    *string `xml:"scan_resolution_y"`
	} `xml:"scan_parameters"`
	Count *string `xml:"count"`
}

func xmlInt(path, field string, s *string) (int, error) {
	if s == nil {
		return 0, newErr(path, field, ErrHeader, "element missing")
	}
	v, err := strconv.Atoi(strings.TrimSpace(*s))
	if err != nil || v <= 0 {
		return 0, newErr(path, field, ErrHeader, "%q is not a positive integer", *s)
	}
	return v, nil
}

// ParseEMPADXML reads an EMPAD XML description; mode selects the scan_parameters
// element ("acquire" normally, "search" for the quirk described above). path names the
// file in errors and locates the raw file.
func ParseEMPADXML(b []byte, path, mode string) (EMPADInfo, error) {
	var x empadXML
	if err := xml.Unmarshal(b, &x); err != nil {
		return EMPADInfo{}, &Error{Path: path, Field: "xml", Detail: "not well-formed XML: " + err.Error(), Err: ErrHeader}
	}
	if x.RawFile == nil || x.RawFile.Filename == nil || strings.TrimSpace(*x.RawFile.Filename) == "" {
		return EMPADInfo{}, newErr(path, "raw_file.filename", ErrHeader, "no <raw_file filename=...> element naming the raw file")
	}
	// the file name may come from another machine: keep its base name only
	fn := strings.ReplaceAll(*x.RawFile.Filename, `\`, "/")
	base := filepath.Base(fn)
	if base == "." || base == ".." || base == "/" {
		return EMPADInfo{}, newErr(path, "raw_file.filename", ErrHeader, "%q names no file", *x.RawFile.Filename)
	}
	in := EMPADInfo{RawPath: filepath.Join(filepath.Dir(path), base)}
	typ := "scan"
	if x.Type != nil {
		typ = strings.TrimSpace(*x.Type)
	}
	in.Type = typ
	switch typ {
	case "scan":
		for _, s := range x.Scan {
			if s.Mode != mode {
				continue
			}
			nx, err := xmlInt(path, "scan_parameters["+mode+"].scan_resolution_x", s.X)
			if err != nil {
				return EMPADInfo{}, err
			}
			ny, err := xmlInt(path, "scan_parameters["+mode+"].scan_resolution_y", s.Y)
			if err != nil {
				return EMPADInfo{}, err
			}
			in.NavShape = []int{ny, nx}
			return in, nil
		}
		return EMPADInfo{}, newErr(path, "scan_parameters", ErrHeader, "no <scan_parameters mode=%q> element", mode)
	case "series":
		n, err := xmlInt(path, "count", x.Count)
		if err != nil {
			return EMPADInfo{}, err
		}
		in.NavShape = []int{n}
		return in, nil
	}
	return EMPADInfo{}, newErr(path, "type", ErrHeader, "unknown type %q (want scan or series)", typ)
}

// OpenEMPAD opens an EMPAD dataset from its .xml (nav shape from the XML, the raw file's
// size checked against it) or its .raw file (opts.NavShape required; the image count is
// the number of whole frames in the file). The signal is (128, 128) float32.
func OpenEMPAD(path string, opts FramedOptions) (*Framed, error) {
	var (
		raw      = path
		navXML   []int
		details  []InfoDetail
		xmlPath  string
		rawBytes int64
	)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xml":
		xmlPath = path
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, openErr(path, err)
		}
		in, err := ParseEMPADXML(b, path, "acquire")
		if err != nil {
			return nil, err
		}
		raw = in.RawPath
		st, err := os.Stat(raw)
		if err != nil {
			return nil, &Error{Path: path, Field: "raw_file.filename", Detail: fmt.Sprintf("raw file %s: %v", raw, err), Err: openErr(raw, err)}
		}
		rawBytes = st.Size()
		navXML = in.NavShape
		src := fmt.Sprintf("%s: %s scan_parameters mode=\"acquire\"", filepath.Base(path), in.Type)
		if in.Type == "series" {
			src = fmt.Sprintf("%s: series <count>", filepath.Base(path))
		}
		if want := int64(prodInts(navXML)) * empadFrameBytes; rawBytes != want {
			alt, aerr := ParseEMPADXML(b, path, "search")
			if aerr != nil || in.Type != "scan" || int64(prodInts(alt.NavShape))*empadFrameBytes != rawBytes {
				altMsg := "no search scan parameters"
				if aerr == nil && in.Type == "scan" {
					altMsg = fmt.Sprintf("%d bytes for the search nav shape %v", int64(prodInts(alt.NavShape))*empadFrameBytes, alt.NavShape)
				}
				return nil, newErr(raw, "size", ErrFileTooShort, "raw file holds %d bytes, the XML's nav shape %v needs %d (%s)", rawBytes, navXML, want, altMsg)
			}
			navXML = alt.NavShape
			src = fmt.Sprintf("%s: scan_parameters mode=\"search\" (the raw file's size matches it, not the acquire shape %v)", filepath.Base(path), in.NavShape)
		}
		details = append(details, InfoDetail{"nav_shape_source", src})
	case ".raw":
		if opts.NavShape == nil {
			return nil, newErr(path, "nav_shape", ErrShape, "nav_shape is required when opening the .raw file; open the .xml to read it from there")
		}
		st, err := os.Stat(path)
		if err != nil {
			return nil, openErr(path, err)
		}
		rawBytes = st.Size()
		details = append(details, InfoDetail{"nav_shape_source", "given"})
	default:
		return nil, newErr(path, "path", ErrFormat, "an EMPAD path must end in .xml or .raw")
	}
	frames := int(rawBytes / empadFrameBytes)
	if navXML != nil {
		frames = prodInts(navXML)
	}
	if opts.NavShape != nil && navXML != nil {
		details[0].Value = "given (the XML says " + fmt.Sprint(navXML) + ")"
	}
	if xmlPath != "" {
		details = append(details, InfoDetail{"xml", xmlPath})
	}
	details = append(details, InfoDetail{"frame", "130 × 128 float32, the last 2 rows (metadata) dropped"})
	if frames == 0 {
		return nil, &ShortFileError{Path: raw, Field: "frames", Need: empadFrameBytes, Have: rawBytes}
	}
	l := FrameLayout{
		Format:      "empad",
		Path:        path,
		Files:       []FrameFile{{Path: raw, Frames: frames, Offset: 0, Stride: empadFrameBytes}},
		RecordBytes: empadFrameBytes,
		DType:       array.Float32,
		ByteOrder:   binary.LittleEndian,
		SigShape:    []int{empadSig, empadSig},
		StoredShape: []int{empadRows, empadCols},
		NavShape:    navXML,
		Details:     details,
	}
	return OpenFramed(l, opts)
}

func init() {
	RegisterFormat(FormatSpec{
		Name:       "empad",
		Extensions: []string{".xml"},
		Open: func(path string, o OpenOptions) (Dataset, error) {
			return OpenEMPAD(path, FramedOptionsFrom(o))
		},
	})
}
