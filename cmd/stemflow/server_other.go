//go:build !unix

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// execServer runs prog with args as a child process until it exits or ctx ends.
func execServer(ctx context.Context, prog string, args []string, stdout, stderr io.Writer) error {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	if err := cmd.Run(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("%s: %w", prog, err)
	}
	return nil
}
