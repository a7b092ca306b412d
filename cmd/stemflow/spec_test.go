package main

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	nan := math.NaN()
	inf := math.Inf(1)
	base := func(kind string) udfSpec {
		return udfSpec{Kind: kind, CY: nan, CX: nan, R: nan, RI: nan, RO: nan, Regression: -1}
	}
	with := func(s udfSpec, f func(*udfSpec)) udfSpec { f(&s); return s }
	tests := []struct {
		text string
		want udfSpec
	}{
		{"sum", base("sum")},
		{" SUM ", base("sum")},
		{"sumsig", base("sumsig")},
		{"stddev", base("stddev")},
		{"logsum", base("logsum")},
		{"pick:y=3,x=4", with(base("pick"), func(s *udfSpec) { s.Y, s.X = 3, 4 })},
		{"pick:x=0, y=7", with(base("pick"), func(s *udfSpec) { s.Y, s.X = 7, 0 })},
		{"masks:file=m.npy", with(base("masks"), func(s *udfSpec) { s.MaskFile = "m.npy" })},
		{"masks:file=/a b/m=1.npy", with(base("masks"), func(s *udfSpec) { s.MaskFile = "/a b/m=1.npy" })},
		{"disk:cy=31.5,cx=32,r=10", with(base("disk"), func(s *udfSpec) { s.CY, s.CX, s.R = 31.5, 32, 10 })},
		{"ring:cy=1,cx=2,ri=3,ro=4.5", with(base("ring"), func(s *udfSpec) { s.CY, s.CX, s.RI, s.RO = 1, 2, 3, 4.5 })},
		{"ring:cy=1,cx=2,ri=0,ro=4", with(base("ring"), func(s *udfSpec) { s.CY, s.CX, s.RI, s.RO = 1, 2, 0, 4 })},
		{"com", with(base("com"), func(s *udfSpec) { s.R, s.RI = inf, 0 })},
		{"com:cy=30,cx=31,r=12,ri=2,rotation=-90,flip_y=true,regression=1", with(base("com"), func(s *udfSpec) {
			s.CY, s.CX, s.R, s.RI, s.Rotation, s.FlipY, s.Regression = 30, 31, 12, 2, -90, true, 1
		})},
		{"com:regression=0,flip_y=false", with(base("com"), func(s *udfSpec) { s.R, s.RI, s.Regression = inf, 0, 0 })},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			got, err := parseSpec(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Text = tc.text
			if !specEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// specEqual compares specs treating NaN as equal to NaN.
func specEqual(a, b udfSpec) bool {
	feq := func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) }
	return a.Kind == b.Kind && a.Text == b.Text && a.Y == b.Y && a.X == b.X && a.MaskFile == b.MaskFile &&
		feq(a.CY, b.CY) && feq(a.CX, b.CX) && feq(a.R, b.R) && feq(a.RI, b.RI) && feq(a.RO, b.RO) &&
		a.Rotation == b.Rotation && a.FlipY == b.FlipY && a.Regression == b.Regression
}

func TestParseSpecErrors(t *testing.T) {
	tests := []struct {
		text, mention string
	}{
		{"", "unknown UDF"},
		{"summ", `unknown UDF "summ"`},
		{"sum:", "nothing after"},
		{"sum:x=1", `unknown parameter "x"`},
		{"pick", `missing parameter "y"`},
		{"pick:y=1", `missing parameter "x"`},
		{"pick:y=1,x=2.5", `x="2.5" is not an integer`},
		{"pick:y=-1,x=2", "must not be negative"},
		{"pick:y=1,y=2,x=3", "given twice"},
		{"pick:y", "not key=value"},
		{"pick:y=,x=1", "not key=value"},
		{"masks", `missing parameter "file"`},
		{"disk:cy=1,cx=2", `missing parameter "r"`},
		{"disk:cy=a,cx=2,r=3", `cy="a" is not a finite number`},
		{"disk:cy=1,cx=2,r=0", "want r > 0"},
		{"disk:cy=NaN,cx=2,r=1", "not a finite number"},
		{"disk:cy=1,cx=2,r=inf", "not a finite number"},
		{"ring:cy=1,cx=2,ri=4,ro=3", "0 ≤ ri < ro"},
		{"ring:cy=1,cx=2,ri=-1,ro=3", "0 ≤ ri < ro"},
		{"com:cy=3", "give both cy and cx"},
		{"com:r=5,ri=5", "want ri < r"},
		{"com:ri=-1", "want ri ≥ 0"},
		{"com:r=-2", "want r > 0"},
		{"com:regression=2", "regression=2"},
		{"com:flip_y=yes", "flip_y="},
		{"com:rotation=x", "not a finite number"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			_, err := parseSpec(tc.text)
			if !errors.Is(err, errSpec) {
				t.Fatalf("err = %v, want errSpec", err)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
		})
	}
}

func TestParseSpecsDirs(t *testing.T) {
	specs, err := parseSpecs([]string{"sum", "com", "sum", "disk:cy=1,cx=1,r=1", "sum", "com:regression=0"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"sum", "com", "sum-2", "disk", "sum-3", "com-2"}
	for i, s := range specs {
		if s.Dir != want[i] {
			t.Errorf("spec %d dir %q, want %q", i, s.Dir, want[i])
		}
	}
	def, err := parseSpecs(nil)
	if err != nil || len(def) != 1 || def[0].Kind != "sum" || def[0].Dir != "sum" {
		t.Errorf("default specs = %+v, %v; want one sum", def, err)
	}
	if _, err := parseSpecs([]string{"sum", "nope"}); !errors.Is(err, errSpec) {
		t.Errorf("bad second spec: err = %v", err)
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"sum", "pick:y=3,x=4", "com:cy=1,cx=2,r=3,ri=1,rotation=5,flip_y=true,regression=1", "ring:cy=1,cx=1,ri=1,ro=2", "masks:file=a.npy", ":", "disk:,,", "com:r=1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := parseSpec(text)
		if err != nil {
			if !errors.Is(err, errSpec) {
				t.Fatalf("error %v does not wrap errSpec", err)
			}
			return
		}
		switch s.Kind {
		case "disk":
			if !(s.R > 0) {
				t.Fatalf("accepted disk radius %v", s.R)
			}
		case "ring":
			if !(s.RI >= 0 && s.RO > s.RI) {
				t.Fatalf("accepted ring %v..%v", s.RI, s.RO)
			}
		case "com":
			if !(s.RI >= 0 && s.RI < s.R) || s.Regression < -1 || s.Regression > 1 {
				t.Fatalf("accepted com %+v", s)
			}
		case "pick":
			if s.Y < 0 || s.X < 0 {
				t.Fatalf("accepted pick %d,%d", s.Y, s.X)
			}
		}
	})
}
