package web

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestResolve(t *testing.T) {
	f := newFixture(t)
	r, err := newRoot(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(f.dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../sample.npy", filepath.Join(f.dir, "sub", "inside.npy")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(f.outside, filepath.Join(f.dir, "sub", "out")); err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(f.dir, filepath.Join(f.outside, "secret.npy"))
	for _, c := range []struct {
		path    string
		want    string // relative to the folder; "" = refused
		outside bool
	}{
		{"sample.npy", "sample.npy", false},
		{"sub/../sample.npy", "sample.npy", false},
		{"sub/inside.npy", "sample.npy", false}, // a symlink that stays inside
		{"../sample.npy", "", true},
		{rel, "", true},
		{"sub/../../x", "", true},
		{"/etc/passwd", "", true},
		{filepath.Join(f.outside, "secret.npy"), "", true},
		{"link.npy", "", true},           // symlink to a file outside
		{"sub/out/secret.npy", "", true}, // through a symlinked folder
		{"", "", true},
		{"a\x00b", "", true},
		{"missing.npy", "", false},
	} {
		got, err := r.resolve(c.path)
		if c.want == "" {
			if err == nil {
				t.Errorf("resolve(%q) = %q, want an error", c.path, got)
			} else if errors.Is(err, ErrOutside) != c.outside {
				t.Errorf("resolve(%q): %v, ErrOutside %v", c.path, err, c.outside)
			}
			continue
		}
		if err != nil || got != filepath.Join(string(r), c.want) {
			t.Errorf("resolve(%q) = %q, %v; want %q", c.path, got, err, c.want)
		}
	}
}

func FuzzResolve(f *testing.F) {
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.npy"), nil, 0o644); err != nil {
		f.Fatal(err)
	}
	r, err := newRoot(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"a.npy", "../a", "/", "..", "./a.npy", "a/../../b", "\\..\\x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, err := r.resolve(p)
		if err == nil && !r.contains(got) {
			t.Fatalf("resolve(%q) = %q escapes %q", p, got, r)
		}
	})
}

func TestParseAnalysis(t *testing.T) {
	nav, sig := []int{32, 32}, []int{64, 64}
	for _, c := range []struct {
		body string
		ok   bool
	}{
		{`{"kind":"sum"}`, true},
		{`{"kind":"disk","cy":32,"cx":32,"r":12}`, true},
		{`{"kind":"disk","cy":32,"cx":32,"r":0}`, false},
		{`{"kind":"ring","cy":32,"cx":32,"ri":5,"ro":3}`, false},
		{`{"kind":"ring","cy":32,"cx":32,"ri":5,"ro":30}`, true},
		{`{"kind":"rect","rect":{"y0":1,"x0":1,"y1":5,"x1":5}}`, true},
		{`{"kind":"rect","rect":{"y0":1,"x0":1,"y1":65,"x1":5}}`, false},
		{`{"kind":"rect"}`, false},
		{`{"kind":"point","y":63,"x":0}`, true},
		{`{"kind":"point","y":64,"x":0}`, false},
		{`{"kind":"pick","y":31,"x":31}`, true},
		{`{"kind":"pick","y":-1,"x":0}`, false},
		{`{"kind":"com","cy":32,"cx":32,"r":10,"regression":1}`, true},
		{`{"kind":"com","cy":32,"cx":32,"r":10,"regression":2}`, false},
		{`{"kind":"com","cy":32,"cx":32,"r":10,"ri":10}`, false},
		{`{"kind":"disk","cy":32,"cx":32,"r":5,"roi":{"y0":0,"x0":0,"y1":33,"x1":4}}`, false},
		{`{"kind":"disk","cy":32,"cx":32,"r":5,"roi":{"y0":0,"x0":0,"y1":3,"x1":4}}`, true},
		{`{"kind":"nope"}`, false},
		{`{"kind":"disk","cy":1e999}`, false},
		{`not json`, false},
	} {
		_, err := parseAnalysis([]byte(c.body), nav, sig)
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.body, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrAnalysis) {
			t.Errorf("%s: %v does not wrap ErrAnalysis", c.body, err)
		}
	}
}

func FuzzParseAnalysis(f *testing.F) {
	for _, s := range []string{`{"kind":"disk","cy":32,"cx":32,"r":12}`, `{"kind":"rect","rect":{"y0":1,"x0":1,"y1":5,"x1":5}}`,
		`{"kind":"com","r":3,"ri":1,"regression":0,"roi":{"y0":0,"x0":0,"y1":1,"x1":1}}`, `{"kind":"pick","y":3,"x":4}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := parseAnalysis(b, []int{4, 5}, []int{6, 7})
		if err != nil {
			return
		}
		if _, _, err := a.build([]int{4, 5}); err != nil {
			t.Fatalf("checked analysis %+v does not build: %v", a, err)
		}
	})
}

// stream opens a session's event stream and returns its id and a reader of events.
func stream(t *testing.T, ctx context.Context, c *http.Client, url string) (string, func() (string, string)) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/events", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		t.Fatalf("events: %s", resp.Status)
	}
	br := bufio.NewReader(resp.Body)
	next := func() (string, string) {
		var name, data string
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return "", ""
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case strings.HasPrefix(line, "event: "):
				name = line[7:]
			case strings.HasPrefix(line, "data: "):
				data = line[6:]
			case line == "" && name != "":
				return name, data
			}
		}
	}
	name, data := next()
	var hello struct{ Session string }
	if name != "hello" || json.Unmarshal([]byte(data), &hello) != nil {
		t.Fatalf("first event %q %q, want hello", name, data)
	}
	return hello.Session, next
}

func post(t *testing.T, c *http.Client, url, body string) (int, string) {
	t.Helper()
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestTokenAndHost(t *testing.T) {
	f := newFixture(t)
	for _, token := range []string{"", "s3cret"} {
		srv, err := New(Config{Dir: f.dir, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv.Handler())
		get := func(path string, hdr map[string]string) int {
			req, _ := http.NewRequest("GET", hs.URL+path, nil)
			for k, v := range hdr {
				if k == "Host" {
					req.Host = v
				} else {
					req.Header.Set(k, v)
				}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		type tc struct {
			path string
			hdr  map[string]string
			want int
		}
		var cases []tc
		if token == "" {
			cases = []tc{
				{"/api/datasets", nil, 200},
				{"/api/datasets", map[string]string{"Host": "localhost:1"}, 200},
				{"/api/datasets", map[string]string{"Host": "evil.example:80"}, 403}, // DNS rebinding
				{"/", map[string]string{"Host": "10.0.0.1"}, 403},
			}
		} else {
			cases = []tc{
				{"/", nil, 403},
				{"/api/datasets", nil, 403},
				{"/api/events", nil, 403},
				{"/api/datasets?token=wrong", nil, 403},
				{"/api/datasets?token=s3cret", nil, 200},
				{"/api/datasets", map[string]string{"Authorization": "token s3cret"}, 200},
				{"/api/datasets", map[string]string{"Authorization": "token s3cre"}, 403},
				{"/api/datasets", map[string]string{"Cookie": tokenCookie + "=s3cret"}, 200},
				{"/api/datasets", map[string]string{"Cookie": tokenCookie + "=x"}, 403},
				{"/app.js", map[string]string{"Cookie": tokenCookie + "=x"}, 403},
				{"/api/datasets?token=s3cret", map[string]string{"Host": "evil.example"}, 200}, // the token is what counts
			}
		}
		for _, c := range cases {
			if got := get(c.path, c.hdr); got != c.want {
				t.Errorf("token %q: GET %s %v: %d, want %d", token, c.path, c.hdr, got, c.want)
			}
		}
		srv.Close()
		hs.Close()
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "[::1]:80": true, "localhost:1": true, "127.1.2.3:0": true,
		":8080": false, "0.0.0.0:80": false, "192.168.1.2:80": false, "example.com:80": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// TestSessionLifecycle: runs through plain HTTP; closing the event stream cancels
// the session's running run and closes its dataset (goleak checks the rest).
func TestSessionLifecycle(t *testing.T) {
	f := newFixture(t)
	srv, err := New(Config{Dir: f.dir, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{}, 1)
	srv.testHookSnapshot = func(ctx context.Context, run int, a Analysis) {
		if a.Kind == "ring" {
			entered <- struct{}{}
			<-ctx.Done()
		}
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	defer srv.Close()
	c := hs.Client()
	ctx, cancel := context.WithCancel(context.Background())
	id, next := stream(t, ctx, c, hs.URL)
	base := hs.URL + "/api/s/" + id

	if code, body := post(t, c, base+"/run", `{"kind":"sum"}`); code != http.StatusConflict {
		t.Fatalf("run before open: %d %s, want 409", code, body)
	}
	if code, body := post(t, c, base+"/open", `{"path":"notes.txt"}`); code != 400 {
		t.Fatalf("open notes.txt: %d %s, want 400", code, body)
	}
	if code, body := post(t, c, base+"/open", `{"path":"../x.npy"}`); code != 403 {
		t.Fatalf("open ../x.npy: %d %s, want 403", code, body)
	}
	if code, body := post(t, c, base+"/open", `{"path":"sample.npy"}`); code != 200 {
		t.Fatalf("open: %d %s", code, body)
	}
	if code, body := post(t, c, base+"/run", `{"kind":"disk","cy":32,"cx":32,"r":0}`); code != 400 {
		t.Fatalf("bad disk: %d %s, want 400", code, body)
	}
	resp, err := c.Get(base + "/download/detector/intensity.npy")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("download before a result: %d, want 404", resp.StatusCode)
	}
	if code, body := post(t, c, base+"/run", `{"kind":"sum"}`); code != 200 {
		t.Fatalf("run: %d %s", code, body)
	}
	for {
		name, data := next()
		if name == "" {
			t.Fatal("stream ended")
		}
		if name == "status" && strings.Contains(data, `"state":"done"`) {
			break
		}
	}
	if code, body := post(t, c, base+"/run", `{"kind":"ring","cy":32,"cx":32,"ri":3,"ro":9}`); code != 200 {
		t.Fatalf("run: %d %s", code, body)
	}
	<-entered
	srv.mu.Lock()
	sess := srv.sessions[id]
	srv.mu.Unlock()
	cancel() // the tab goes
	deadline := time.Now().Add(10 * time.Second)
	for {
		srv.mu.Lock()
		n := len(srv.sessions)
		srv.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("session still alive after its stream closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	sess.mu.Lock()
	closed := sess.ds == nil
	sess.mu.Unlock()
	if !closed {
		t.Fatal("dataset not closed with the session")
	}
	if code, _ := post(t, c, base+"/run", `{"kind":"sum"}`); code != 404 {
		t.Fatalf("run on a closed session: %d, want 404", code)
	}
}

// TestTwoTabs: two sessions open the same file and run different detectors at
// once; each receives only its own images, equal to a direct loop.
func TestTwoTabs(t *testing.T) {
	f := newFixture(t)
	srv, err := New(Config{Dir: f.dir, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	defer srv.Close()
	c := hs.Client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	radii := []float64{5, 11}
	type tab struct {
		id   string
		next func() (string, string)
	}
	var tabs []tab
	for range radii {
		id, next := stream(t, ctx, c, hs.URL)
		tabs = append(tabs, tab{id, next})
		if code, body := post(t, c, hs.URL+"/api/s/"+id+"/open", `{"path":"sample.npy"}`); code != 200 {
			t.Fatalf("open: %d %s", code, body)
		}
	}
	for i, tb := range tabs {
		body, _ := json.Marshal(Analysis{Kind: "disk", CY: 32, CX: 32, R: radii[i], Regression: -1})
		if code, resp := post(t, c, hs.URL+"/api/s/"+tb.id+"/run", string(body)); code != 200 {
			t.Fatalf("run: %d %s", code, resp)
		}
	}
	for i, tb := range tabs {
		for {
			name, data := tb.next()
			if name == "" {
				t.Fatal("stream ended")
			}
			if name != "image" {
				continue
			}
			var ev imageEvent
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				t.Fatal(err)
			}
			if !ev.Final {
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(ev.Images[0].Data)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float32, len(raw)/4)
			for k := range got {
				got[k] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*k:]))
			}
			near(t, fmt.Sprintf("tab %d disk r=%g", i, radii[i]), got, f.disk(32, 32, radii[i]), 1e-6)
			break
		}
	}
}
