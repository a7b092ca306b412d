package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// usageError is an error in the command line: main prints it with the usage text
// and exits 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error {
	return usageError{fmt.Errorf(format, a...)}
}

// shapeFlag is a comma-separated list of positive integers, e.g. "64,64".
type shapeFlag []int

func (s *shapeFlag) String() string {
	parts := make([]string, len(*s))
	for i, v := range *s {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ",")
}

func (s *shapeFlag) Set(v string) error {
	var out []int
	for _, p := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n <= 0 {
			return fmt.Errorf("%q is not a list of positive integers like 64,64", v)
		}
		out = append(out, n)
	}
	*s = out
	return nil
}

// listFlag collects every use of a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// autoBool is a boolean flag with a third state, "not given" (auto).
type autoBool struct {
	set, value bool
}

func (a *autoBool) String() string {
	if a == nil || !a.set {
		return "auto"
	}
	return strconv.FormatBool(a.value)
}

func (a *autoBool) Set(v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("%q, want true or false", v)
	}
	a.set, a.value = true, b
	return nil
}

// IsBoolFlag lets "--progress" stand for "--progress=true".
func (a *autoBool) IsBoolFlag() bool { return true }

// get returns the value given, or def when the flag was not used.
func (a *autoBool) get(def bool) bool {
	if a.set {
		return a.value
	}
	return def
}

// parseInterspersed parses flags that may come before or after positional
// arguments (the standard flag package stops at the first positional one) and
// returns the positional arguments in order. Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	out := fs.Output()
	fs.SetOutput(io.Discard) // errors and help are reported once, by the caller
	defer fs.SetOutput(out)
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err}
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
