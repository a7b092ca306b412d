package main

import (
	"errors"
	"flag"
	"io"
	"reflect"
	"testing"
)

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		pos     []string
		udfs    []string
		out     string
		nav     []int
		wantErr bool
	}{
		{"flags first", []string{"--udf", "sum", "--out", "o", "f.npy"}, []string{"f.npy"}, []string{"sum"}, "o", nil, false},
		{"flags after", []string{"f.npy", "--udf", "sum", "--udf=com", "-out=o"}, []string{"f.npy"}, []string{"sum", "com"}, "o", nil, false},
		{"mixed", []string{"-nav-shape", "4,8", "f.raw", "--udf", "disk:cy=1,cx=2,r=3"}, []string{"f.raw"}, []string{"disk:cy=1,cx=2,r=3"}, "def", []int{4, 8}, false},
		{"double dash", []string{"--out", "o", "--", "--weird-name", "-x"}, []string{"--weird-name", "-x"}, nil, "o", nil, false},
		{"two positionals", []string{"a", "--out", "o", "b"}, []string{"a", "b"}, nil, "o", nil, false},
		{"none", nil, nil, nil, "def", nil, false},
		{"unknown flag", []string{"f.npy", "--bogus"}, nil, nil, "", nil, true},
		{"missing value", []string{"f.npy", "--out"}, nil, nil, "", nil, true},
		{"bad shape", []string{"--nav-shape", "4,x", "f"}, nil, nil, "", nil, true},
		{"zero in shape", []string{"--nav-shape", "4,0", "f"}, nil, nil, "", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var udfs listFlag
			var nav shapeFlag
			fs.Var(&udfs, "udf", "")
			fs.Var(&nav, "nav-shape", "")
			out := fs.String("out", "def", "")
			pos, err := parseInterspersed(fs, tc.args)
			if tc.wantErr {
				var ue usageError
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v, want a usageError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(pos, tc.pos) || !reflect.DeepEqual([]string(udfs), tc.udfs) || *out != tc.out || !reflect.DeepEqual([]int(nav), tc.nav) {
				t.Errorf("pos %q udfs %q out %q nav %v; want %q %q %q %v", pos, udfs, *out, nav, tc.pos, tc.udfs, tc.out, tc.nav)
			}
		})
	}
}

func TestAutoBool(t *testing.T) {
	tests := []struct {
		args []string
		def  bool
		want bool
		str  string
	}{
		{nil, true, true, "auto"},
		{nil, false, false, "auto"},
		{[]string{"--progress"}, false, true, "true"},
		{[]string{"--progress=false"}, true, false, "false"},
		{[]string{"--progress=0"}, true, false, "false"},
	}
	for _, tc := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		var p autoBool
		fs.Var(&p, "progress", "")
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if got := p.get(tc.def); got != tc.want || p.String() != tc.str {
			t.Errorf("%v def %v: got %v %q, want %v %q", tc.args, tc.def, got, p.String(), tc.want, tc.str)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var p autoBool
	fs.Var(&p, "progress", "")
	if err := fs.Parse([]string{"--progress=maybe"}); err == nil {
		t.Error("--progress=maybe accepted")
	}
}
