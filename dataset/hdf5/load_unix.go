//go:build (linux || darwin || freebsd) && !nohdf5

package hdf5

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"unsafe"

	"github.com/ebitengine/purego"
)

func candidates() []string {
	if p := os.Getenv("STEMFLOW_HDF5"); p != "" {
		return []string{p}
	}
	if runtime.GOOS == "darwin" {
		return []string{"libhdf5.dylib", "/opt/homebrew/lib/libhdf5.dylib", "/usr/local/lib/libhdf5.dylib"}
	}
	names := []string{"libhdf5_serial.so.103", "libhdf5.so.103", "libhdf5.so.200", "libhdf5.so.310", "libhdf5.so", "libhdf5_serial.so"}
	out := append([]string(nil), names...)
	for _, d := range []string{"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib", "/usr/lib/x86_64-linux-gnu/hdf5/serial/lib"} {
		for _, n := range names {
			out = append(out, filepath.Join(d, n))
		}
	}
	return out
}

func load() (*library, error) {
	if os.Getenv("STEMFLOW_HDF5") == "off" {
		return nil, fmt.Errorf("%w (disabled by STEMFLOW_HDF5=off)", ErrNoLibrary)
	}
	var errs []error
	for _, p := range candidates() {
		h, err := purego.Dlopen(p, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		l, err := bind(h, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		return l, nil
	}
	return nil, fmt.Errorf("%w: %w", ErrNoLibrary, errors.Join(errs...))
}

func bind(h uintptr, path string) (l *library, err error) {
	for _, sym := range []string{"H5open", "H5Dget_chunk_info_by_coord", "H5Dget_offset"} {
		if _, err := purego.Dlsym(h, sym); err != nil {
			return nil, fmt.Errorf("%s: %w (HDF5 1.10.5 or newer is needed)", path, err)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			l, err = nil, fmt.Errorf("%s: binding HDF5: %v", path, r)
		}
	}()
	l = &library{path: path, types: map[string]hid{}}
	reg := func(fn any, name string) { purego.RegisterLibFunc(fn, h, name) }
	reg(&l.open, "H5open")
	reg(&l.esetAuto, "H5Eset_auto2")
	reg(&l.fopen, "H5Fopen")
	reg(&l.fcreate, "H5Fcreate")
	reg(&l.fclose, "H5Fclose")
	reg(&l.fgetName, "H5Fget_name")
	reg(&l.iGetFileID, "H5Iget_file_id")
	reg(&l.iGetType, "H5Iget_type")
	reg(&l.oopen, "H5Oopen")
	reg(&l.oclose, "H5Oclose")
	reg(&l.ggetInfo, "H5Gget_info")
	reg(&l.gcreate, "H5Gcreate2")
	reg(&l.gclose, "H5Gclose")
	reg(&l.lgetName, "H5Lget_name_by_idx")
	reg(&l.lexists, "H5Lexists")
	reg(&l.lgetInfo, lGetInfoName(h))
	reg(&l.lcreateExt, "H5Lcreate_external")
	reg(&l.dopen, "H5Dopen2")
	reg(&l.dclose, "H5Dclose")
	reg(&l.dcreate, "H5Dcreate2")
	reg(&l.dgetSpace, "H5Dget_space")
	reg(&l.dgetType, "H5Dget_type")
	reg(&l.dgetPlist, "H5Dget_create_plist")
	reg(&l.dgetOffset, "H5Dget_offset")
	reg(&l.dgetStSize, "H5Dget_storage_size")
	reg(&l.dread, "H5Dread")
	reg(&l.dwrite, "H5Dwrite")
	reg(&l.dchunkInfo, "H5Dget_chunk_info_by_coord")
	if _, err := purego.Dlsym(h, "H5Oget_info2"); err == nil {
		reg(&l.oGetInfo, "H5Oget_info2") // (loc, H5O_info1_t*, fields) in 1.10.3 and 1.12+
	}
	reg(&l.sgetNdims, "H5Sget_simple_extent_ndims")
	reg(&l.sgetDims, "H5Sget_simple_extent_dims")
	reg(&l.screate, "H5Screate_simple")
	reg(&l.sclose, "H5Sclose")
	reg(&l.tgetClass, "H5Tget_class")
	reg(&l.tgetSize, "H5Tget_size")
	reg(&l.tgetSign, "H5Tget_sign")
	reg(&l.tgetOrder, "H5Tget_order")
	reg(&l.tgetNmemb, "H5Tget_nmembers")
	reg(&l.tgetMType, "H5Tget_member_type")
	reg(&l.tgetMOff, "H5Tget_member_offset")
	reg(&l.tcreate, "H5Tcreate")
	reg(&l.tinsert, "H5Tinsert")
	reg(&l.tcopy, "H5Tcopy")
	reg(&l.tsetOrder, "H5Tset_order")
	reg(&l.tclose, "H5Tclose")
	reg(&l.pcreate, "H5Pcreate")
	reg(&l.pclose, "H5Pclose")
	reg(&l.pgetLayout, "H5Pget_layout")
	reg(&l.pgetChunk, "H5Pget_chunk")
	reg(&l.pgetNfilt, "H5Pget_nfilters")
	reg(&l.pgetFilter, "H5Pget_filter2")
	reg(&l.pgetExtCnt, "H5Pget_external_count")
	reg(&l.psetChunk, "H5Pset_chunk")
	reg(&l.psetDefl, "H5Pset_deflate")
	reg(&l.psetShuf, "H5Pset_shuffle")
	reg(&l.psetFlet, "H5Pset_fletcher32")
	reg(&l.psetFilter, "H5Pset_filter")
	reg(&l.psetLayout, "H5Pset_layout")
	reg(&l.psetLibver, "H5Pset_libver_bounds")
	reg(&l.psetUblock, "H5Pset_userblock")
	if l.open() < 0 {
		return nil, fmt.Errorf("%s: H5open failed", path)
	}
	global := func(name string) (hid, error) {
		addr, err := purego.Dlsym(h, name)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		return **(**hid)(unsafe.Pointer(&addr)), nil
	}
	if l.dcplClass, err = global("H5P_CLS_DATASET_CREATE_ID_g"); err != nil {
		return nil, err
	}
	if l.faplClass, err = global("H5P_CLS_FILE_ACCESS_ID_g"); err != nil {
		return nil, err
	}
	if l.fcplClass, err = global("H5P_CLS_FILE_CREATE_ID_g"); err != nil {
		return nil, err
	}
	for _, n := range []string{"NATIVE_INT8", "NATIVE_UINT8", "NATIVE_INT16", "NATIVE_UINT16", "NATIVE_INT32", "NATIVE_UINT32",
		"NATIVE_INT64", "NATIVE_UINT64", "NATIVE_FLOAT", "NATIVE_DOUBLE"} {
		if l.types[n], err = global("H5T_" + n + "_g"); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// lGetInfoName picks H5Lget_info1 where the library versions the symbol (1.12+),
// whose struct layout is the 1.10 one used here.
func lGetInfoName(h uintptr) string {
	if _, err := purego.Dlsym(h, "H5Lget_info1"); err == nil {
		return "H5Lget_info1"
	}
	return "H5Lget_info"
}
