package main

import (
	"context"
	"errors"
	"io"
)

var errNotWired = errors.New("not wired to the engine yet")

func cmdInfo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, _ := infoFlagSet(stderr)
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	return errNotWired
}

func cmdGraph(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, _ := graphFlagSet(stderr)
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	return errNotWired
}
