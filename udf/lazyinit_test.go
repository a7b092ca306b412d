package udf

import (
	"path/filepath"
	"runtime"
	"testing"
)

// udfDir, looked up at first use, is the directory of this package's sources: the
// directory of this very test file.
func TestUDFDirIsThisPackage(t *testing.T) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Skip("no caller information")
	}
	if got, want := udfDir(), filepath.Dir(file); got != want {
		t.Errorf("udfDir() = %q, want %q", got, want)
	}
	if first, second := udfDir(), udfDir(); first != second {
		t.Errorf("udfDir changes between calls: %q, then %q", first, second)
	}
}
