package dataset

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
)

// OpenOptions are the options Open passes to a format's opener. Each format uses the
// ones that apply and documents them (RawOptions, NPYOptions, ...).
type OpenOptions struct {
	// NavShape / SigShape override or (for headerless formats) give the shape.
	NavShape []int
	SigShape []int
	// SigDims is the number of sig axes for formats whose header has a shape (npy);
	// 0 means 2.
	SigDims int
	// SyncOffset is the sync offset k.
	SyncOffset int
	// DType is the stored dtype for headerless formats ("<u2", "float32", ...).
	DType string
	// NumPartitions is the user's partition count; 0 = the generic rule.
	NumPartitions int
	// MaxIOSize is the I/O size for copying reads; 0 = the format's default.
	MaxIOSize int64
	// Populate pre-faults the whole mapping at open (MAP_POPULATE): faster first
	// reads of a file in the page cache, but it touches the whole file up front.
	Populate bool
	// IO is the I/O method of file formats: IOMmap (default) or IORead.
	IO string
	// Corrections, when active, are applied to every tile (dark, gain, excluded
	// pixels; see WithCorrections): the dataset then reads as float32 or float64.
	Corrections *Corrections
	// SkipFileCorrections turns off the corrections a format carries itself (FRMS6 dark
	// frames; SEQ dark, gain and bad-pixel sidecars), which are applied by default. Active
	// Corrections replace the file's own.
	SkipFileCorrections bool
	// DSPath names the dataset inside a container file (the path of an HDF5 dataset,
	// "/entry/data/data"); empty lets the format choose.
	DSPath string
}

// Opener opens a dataset of one format.
type Opener func(path string, opts OpenOptions) (Dataset, error)

// FormatSpec describes a file format for Open.
type FormatSpec struct {
	// Name is the format name used by Open ("raw", "npy", "raw_csr").
	Name string
	// Extensions are the lower-case file extensions (with dot) detected as this format.
	Extensions []string
	// Detect, if not nil, sniffs a path whose extension matched no format; it must be
	// cheap (read at most a small header).
	Detect func(path string) bool
	// Claim, if not nil, sniffs a path before the extension match, for a format whose
	// files carry another format's extension (K2IS sector files are .bin); it must be
	// cheap.
	Claim func(path string) bool
	// Open opens the dataset.
	Open Opener
}

var (
	formatsMu sync.RWMutex
	formats   = map[string]FormatSpec{}
)

// RegisterFormat adds a file format to Open; call it from an init function. It panics
// on an empty or duplicate name, as http.Handle does.
func RegisterFormat(f FormatSpec) {
	formatsMu.Lock()
	defer formatsMu.Unlock()
	name := strings.ToLower(f.Name)
	if name == "" || f.Open == nil {
		panic("dataset.RegisterFormat: format needs a name and an opener")
	}
	if _, dup := formats[name]; dup {
		panic("dataset.RegisterFormat: duplicate format " + name)
	}
	f.Name = name
	f.Extensions = slices.Clone(f.Extensions)
	formats[name] = f
}

// FormatNames returns the registered format names, sorted.
func FormatNames() []string {
	formatsMu.RLock()
	defer formatsMu.RUnlock()
	out := make([]string, 0, len(formats))
	for n := range formats {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Open opens the dataset at path in the named format ("raw", "npy", ...; compared
// case-insensitively). An empty format or "auto" detects it: by extension (.npy → npy,
// .raw/.bin → raw, .toml → raw_csr when registered), then by each format's Detect.
func Open(format, path string, opts OpenOptions) (Dataset, error) {
	name := strings.ToLower(format)
	if name == "" || name == "auto" {
		var err error
		name, err = DetectFormat(path)
		if err != nil {
			return nil, err
		}
	}
	formatsMu.RLock()
	f, ok := formats[name]
	formatsMu.RUnlock()
	if !ok {
		return nil, newErr(path, "format", ErrFormat, "unknown format %q (known: %s)", format, strings.Join(FormatNames(), ", "))
	}
	ds, err := f.Open(path, opts)
	if err != nil || !opts.Corrections.Active() {
		return ds, err
	}
	cds, err := WithCorrections(ds, *opts.Corrections)
	if err != nil {
		_ = ds.Close()
		return nil, err
	}
	return cds, nil
}

// DetectFormat returns the name of the format of path: a format's Claim first, then by
// extension, then by content (Detect).
func DetectFormat(path string) (string, error) {
	ext := strings.ToLower(filepath.Ext(path))
	formatsMu.RLock()
	defer formatsMu.RUnlock()
	names := make([]string, 0, len(formats))
	for n := range formats {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if c := formats[n].Claim; c != nil && c(path) {
			return n, nil
		}
	}
	for _, n := range names {
		if slices.Contains(formats[n].Extensions, ext) {
			return n, nil
		}
	}
	for _, n := range names {
		if d := formats[n].Detect; d != nil && d(path) {
			return n, nil
		}
	}
	return "", newErr(path, "format", ErrFormat, "cannot detect the format of %q (extension %q); name it explicitly", path, ext)
}

// FormatExtensions returns the file extensions (lower case, with dot) that Open with
// format "auto" detects as the named format, or nil for an unknown name.
func FormatExtensions(name string) []string {
	formatsMu.RLock()
	defer formatsMu.RUnlock()
	return slices.Clone(formats[strings.ToLower(name)].Extensions)
}
