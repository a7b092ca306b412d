//go:build unix

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"syscall"
)

// serverArgv0 is the program name stemflow-server is given when `stemflow server`
// runs it, so that its messages read "stemflow server: ...".
const serverArgv0 = "stemflow server"

// execServer replaces this process by prog with args.
func execServer(_ context.Context, prog string, args []string, _, _ io.Writer) error {
	err := syscall.Exec(prog, append([]string{serverArgv0}, args...), os.Environ())
	return fmt.Errorf("running %s: %w", prog, err)
}
