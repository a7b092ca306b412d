package dataset

import (
	"slices"
	"testing"
)

// The regexps compiled at first use match what their package-level forms matched.
func TestLazyRegexps(t *testing.T) {
	frms6 := []struct {
		in   string
		want []string // submatches, nil: no match
	}{
		{`"bin: 1, windowing: 1024 x 1024"`, []string{"1", "1024", "1024"}},
		{`"bin:4,windowing:264x264"`, []string{"4", "264", "264"}},
		{`"bin: 2, windowing: 512 x 264 "`, []string{"2", "512", "264"}},
		{`bin: 1, windowing: 1024 x 1024`, nil}, // no quotes
		{`"bin: x, windowing: 1 x 1"`, nil},
	}
	for _, tc := range frms6 {
		m := frms6ReadoutPat().FindStringSubmatch(tc.in)
		var got []string
		if m != nil {
			got = m[1:]
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("frms6ReadoutPat(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	arina := []struct {
		in   string
		want string // the number, "": no match
	}{
		{"data_000001", "000001"},
		{"data_123456", "123456"},
		{"data_00001", ""},
		{"data_0000012", ""},
		{"xdata_000001", ""},
	}
	for _, tc := range arina {
		got := ""
		if m := arinaLink().FindStringSubmatch(tc.in); m != nil {
			got = m[1]
		}
		if got != tc.want || arinaLink().MatchString(tc.in) != (tc.want != "") {
			t.Errorf("arinaLink(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	f1, f2 := frms6ReadoutPat(), frms6ReadoutPat()
	a1, a2 := arinaLink(), arinaLink()
	if f1 != f2 || a1 != a2 {
		t.Error("a lazy regexp is compiled more than once")
	}
}
