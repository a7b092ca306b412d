package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"image/png"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/internal/render"
	"github.com/stemflow/stemflow/udf"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "write the README screenshot docs/serve.png from the browser test")

// chromiumPath returns Debian's chromium, or "" when it is not installed.
func chromiumPath() string {
	for _, p := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// browser starts headless chromium (never a downloaded one) and returns a tab's
// context. The flags keep it off the network (closed here) and away from the
// user's profile.
func browser(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		t.Skip("chromium is not installed (apt-get install chromium)")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1320, 720),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	return ctx, func() {
		cancelTime()
		cancelTab()
		cancelAlloc()
	}
}

func poll(ctx context.Context, t *testing.T, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({runs: stemflow.runs, progress: stemflow.progress, error: document.getElementById('error').textContent})`))
		t.Fatalf("waiting for %s: %v\npage state: %s", expr, err, state)
	}
}

func eval[T any](ctx context.Context, t *testing.T, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// pageImage reads an image of the page state as float32 values.
func pageImage(ctx context.Context, t *testing.T, slot, name string) []float32 {
	t.Helper()
	v := eval[[]float64](ctx, t, fmt.Sprintf(`Array.from(stemflow.images[%q][%q].data)`, slot, name))
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// fetchBytes downloads url through the page (with its cookie) and returns the body.
func fetchBytes(ctx context.Context, t *testing.T, url string) []byte {
	t.Helper()
	b64 := eval[string](ctx, t, fmt.Sprintf(`fetch(%q).then(r => { if (!r.ok) throw new Error('status ' + r.status); return r.arrayBuffer(); }).then(b => {
		const u = new Uint8Array(b); let s = ''; for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]); return btoa(s); })`, url))
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// drag presses the left button at (x0, y0), moves to (x1, y1) and releases there.
func drag(ctx context.Context, t *testing.T, x0, y0, x1, y1 float64) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.MouseEvent(chromedp.MouseMoved, x0, y0),
		chromedp.MouseEvent(chromedp.MousePressed, x0, y0, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.MouseEvent(chromedp.MouseMoved, (x0+x1)/2, (y0+y1)/2, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseMoved, x1, y1, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseReleased, x1, y1, chromedp.ButtonLeft, chromedp.ClickCount(1)),
	)
	if err != nil {
		t.Fatal(err)
	}
}

// box returns the page rectangle of an element: left, top, width, height.
func box(ctx context.Context, t *testing.T, id string) [4]float64 {
	t.Helper()
	v := eval[[]float64](ctx, t, fmt.Sprintf(`(() => { const e = document.getElementById(%q); e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`, id))
	return [4]float64{v[0], v[1], v[2], v[3]}
}

// TestBrowser drives the application in headless chromium: open the sample, see
// the sum frame, draw a disk detector and read its image back, cancel on change,
// pick a frame, download, watch the graph, and be refused a wrong token and paths
// outside the folder; no console error on the way.
func TestBrowser(t *testing.T) {
	f := newFixture(t)
	token := NewToken()
	srv, err := New(Config{Dir: f.dir, Token: token, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Ring runs block at their first snapshot until cancelled, so a change made
	// while one runs always finds it running.
	srv.testHookSnapshot = func(ctx context.Context, run int, a Analysis) {
		if a.Kind == "ring" {
			<-ctx.Done()
		}
	}
	// Rect detectors run a UDF whose frames wait for the gate, point detectors at
	// (0, 0) one that fails in partition 3 (the graph subtests).
	gate := make(chan struct{})
	var gateOnce sync.Once
	openGate := func() { gateOnce.Do(func() { close(gate) }) }
	srv.testHookUDF = func(a Analysis, u udf.UDF) udf.UDF {
		switch {
		case a.Kind == "rect":
			return gatedFrames{gate: gate}
		case a.Kind == "point" && a.Y == 0 && a.X == 0:
			return gatedFrames{failIn: 3}
		}
		return u
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	defer srv.Close()
	defer openGate() // before Close: a gated run must be able to end

	ctx, cancel := browser(t)
	defer cancel()

	var mu sync.Mutex
	var consoleErrors []string
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				mu.Lock()
				consoleErrors = append(consoleErrors, fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line))
				mu.Unlock()
			}
		}
	}()

	if err := chromedp.Do(ctx, chromedp.Navigate(hs.URL+"/?token="+token)); err != nil {
		t.Fatal(err)
	}
	poll(ctx, t, `window.stemflow && stemflow.ready === true && !!stemflow.session`)

	t.Run("list", func(t *testing.T) {
		got := eval[[]string](ctx, t, `stemflow.datasets.map(d => d.path + ':' + d.format)`)
		if strings.Join(got, " ") != "sample.npy:npy" {
			t.Fatalf("dataset list %q, want only sample.npy:npy (link.npy leaves the folder, notes.txt is no dataset)", got)
		}
		formats := eval[[]string](ctx, t, `Array.from(document.getElementById('fFormat').options).map(o => o.value).slice(1)`)
		if strings.Join(formats, ",") != strings.Join(dataset.FormatNames(), ",") {
			t.Fatalf("format choices %q, want %q", formats, dataset.FormatNames())
		}
	})

	t.Run("open and sum frame", func(t *testing.T) {
		nav := eval[[]int](ctx, t, `stemflow.open('sample.npy').then(i => i.nav.concat(i.sig))`)
		if fmt.Sprint(nav) != fmt.Sprint([]int{f.ny, f.nx, f.sy, f.sx}) {
			t.Fatalf("shape %v", nav)
		}
		poll(ctx, t, `!!stemflow.progress.frame && stemflow.progress.frame.final && stemflow.runs[stemflow.progress.frame.run].state === 'done'`)
		near(t, "sum frame", pageImage(ctx, t, "frame", "intensity"), f.sumFrame(), 1e-6)
		if w := eval[int](ctx, t, `document.getElementById('frame').width`); w != f.sx {
			t.Fatalf("frame canvas width %d, want %d", w, f.sx)
		}
		poll(ctx, t, `!!stemflow.progress.detector && stemflow.progress.detector.final`)
	})

	waitDetector := func(t *testing.T) {
		t.Helper()
		poll(ctx, t, `(() => { const p = stemflow.progress.detector, id = stemflow.lastRun.detector, r = stemflow.runs[id];
			return !!p && p.run === id && p.final && !!r && r.state === 'done'; })()`)
	}

	t.Run("draw disk", func(t *testing.T) {
		b := box(ctx, t, "frameOverlay")
		px := func(y, x float64) (float64, float64) { // page point of data coordinates
			return b[0] + (x+0.5)*b[2]/float64(f.sx), b[1] + (y+0.5)*b[3]/float64(f.sy)
		}
		before := eval[int](ctx, t, `stemflow.lastRun.detector`)
		x0, y0 := px(31, 33)
		x1, y1 := px(31, 43)
		drag(ctx, t, x0, y0, x1, y1)
		poll(ctx, t, fmt.Sprintf(`stemflow.lastRun.detector > %d`, before))
		waitDetector(t)
		a := eval[map[string]any](ctx, t, `stemflow.detector`)
		if a["kind"] != "disk" {
			t.Fatalf("detector %v, want a disk", a)
		}
		cy, cx, r := a["cy"].(float64), a["cx"].(float64), a["r"].(float64)
		if cy != 31 || cx != 33 || r < 9 || r > 11 {
			t.Fatalf("drawn disk cy=%g cx=%g r=%g, want (31, 33) and r ≈ 10", cy, cx, r)
		}
		got := pageImage(ctx, t, "detector", "intensity")
		near(t, "disk image", got, f.disk(cy, cx, r), 1e-6)
		// what `stemflow run --udf disk:cy=..,cx=..,r=..` computes: the same UDF
		ds, err := dataset.Open("", filepath.Join(f.dir, "sample.npy"), dataset.OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer ds.Close()
		an := Analysis{Kind: "disk", CY: cy, CX: cx, R: r}
		u, _, _ := an.build([]int{f.ny, f.nx})
		res, err := udf.RunOne(context.Background(), ds, u, udf.Options{})
		if err != nil {
			t.Fatal(err)
		}
		cli := res.Get("intensity").Data().(*array.Dense[float32]).Contiguous().Data()
		for i := range got {
			if got[i] != cli[i] {
				t.Fatalf("page value [%d] = %v, the CLI's disk UDF gives %v", i, got[i], cli[i])
			}
		}
		eval[bool](ctx, t, `(window.scrollTo(0, 0), true)`)
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(shot)); err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if *updateScreenshot {
			if err := os.WriteFile(filepath.Join("..", "docs", "serve.png"), shot, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("cancel on change", func(t *testing.T) {
		ids := eval[[]int](ctx, t, `(async () => {
			const a = await stemflow.run({kind: 'ring', cy: 32, cx: 32, ri: 5, ro: 20});
			const b = await stemflow.run({kind: 'disk', cy: 30, cx: 31, r: 6});
			return [a, b]; })()`)
		waitDetector(t)
		poll(ctx, t, fmt.Sprintf(`!!stemflow.runs[%d] && stemflow.runs[%d].state !== 'started'`, ids[0], ids[0]))
		if st := eval[string](ctx, t, fmt.Sprintf(`stemflow.runs[%d].state`, ids[0])); st != "cancelled" {
			t.Fatalf("superseded ring run %d is %q, want cancelled", ids[0], st)
		}
		if run := eval[int](ctx, t, `stemflow.progress.detector.run`); run != ids[1] {
			t.Fatalf("image from run %d, want %d", run, ids[1])
		}
		near(t, "disk after change", pageImage(ctx, t, "detector", "intensity"), f.disk(30, 31, 6), 1e-6)
	})

	t.Run("pick", func(t *testing.T) {
		b := box(ctx, t, "scanOverlay")
		y, x := 5, 7
		px, py := b[0]+(float64(x)+0.5)*b[2]/float64(f.nx), b[1]+(float64(y)+0.5)*b[3]/float64(f.ny)
		before := eval[int](ctx, t, `stemflow.lastRun.frame`)
		drag(ctx, t, px, py, px, py)
		poll(ctx, t, fmt.Sprintf(`stemflow.lastRun.frame > %d`, before))
		poll(ctx, t, `(() => { const p = stemflow.progress.frame, id = stemflow.lastRun.frame, r = stemflow.runs[id];
			return !!p && p.run === id && p.final && !!r && r.state === 'done' && r.kind === 'pick'; })()`)
		got := pageImage(ctx, t, "frame", "intensity")
		want := f.frame(y, x)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("picked frame [%d] = %v, the file holds %v", i, got[i], want[i])
			}
		}
		if k := eval[string](ctx, t, `document.getElementById('frameKind').value`); k != "pick" {
			t.Fatalf("frame view %q, want pick", k)
		}
	})

	t.Run("download", func(t *testing.T) {
		page := pageImage(ctx, t, "detector", "intensity")
		npy := fetchBytes(ctx, t, eval[string](ctx, t, `document.getElementById('detNpy').href`))
		a, err := array.ReadNPY(bytes.NewReader(npy))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(a.Shape()) != fmt.Sprint([]int{f.ny, f.nx, 1}) {
			t.Fatalf("downloaded shape %v, want the CLI's (%d, %d, 1)", a.Shape(), f.ny, f.nx)
		}
		got := a.(*array.Dense[float32]).Data()
		for i := range page {
			if got[i] != page[i] {
				t.Fatalf("downloaded [%d] = %v, page shows %v", i, got[i], page[i])
			}
		}
		pic := fetchBytes(ctx, t, eval[string](ctx, t, `document.getElementById('detPng').href`))
		v := make([]float64, len(got))
		for i, x := range got {
			v[i] = float64(x)
		}
		img, err := render.Heatmap(v, f.ny, f.nx, render.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := png.Encode(&want, img); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pic, want.Bytes()) {
			t.Fatalf("downloaded PNG (%d bytes) differs from the CLI's picture (%d bytes)", len(pic), want.Len())
		}
	})

	t.Run("graph", func(t *testing.T) {
		// The graph tab shows the graph of the detector run that just ended (the
		// disk of "cancel on change"'s last step or later), every node done.
		eval[bool](ctx, t, `(stemflow.showTab('graph'), true)`)
		id := eval[int](ctx, t, `stemflow.lastRun.detector`)
		poll(ctx, t, fmt.Sprintf(`stemflow.graph.run === %d && stemflow.graph.state === 'done' && stemflow.graph.nodes.length > 0 && stemflow.graph.states.length === stemflow.graph.nodes.length`, id))
		states := eval[[]int](ctx, t, `stemflow.graph.states`)
		for i, s := range states {
			if s != int(nodeDone) {
				t.Fatalf("node %d state %d, want done", i, s)
			}
		}
		if n := eval[int](ctx, t, `document.querySelectorAll('#graphSvg rect.n2').length`); n != len(states) {
			t.Fatalf("%d green boxes, want %d", n, len(states))
		}
		ds, err := dataset.Open("", filepath.Join(f.dir, "sample.npy"), dataset.OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer ds.Close()
		parts := srv.partitions(ds)
		if n := eval[int](ctx, t, `stemflow.graph.nodes.filter(n => n.kind === 'task').length`); n != parts {
			t.Fatalf("%d partition task nodes, the run has %d partitions", n, parts)
		}
		if n := eval[int](ctx, t, `document.querySelectorAll('#graphTable tbody tr').length`); n != parts {
			t.Fatalf("%d partition rows, want %d", n, parts)
		}
		if n := eval[int](ctx, t, `stemflow.graph.ms.filter((m, i) => stemflow.graph.nodes[i].kind === 'task' && m > 0).length`); n == 0 {
			t.Fatal("no partition task has a timing")
		}
	})

	t.Run("graph live", func(t *testing.T) {
		// A rect detector runs the test's UDF, whose frames wait for the gate: two
		// partition tasks run (the pool has two workers), the others wait.
		id := eval[int](ctx, t, `stemflow.run({kind: 'rect', rect: {y0: 0, x0: 0, y1: 8, x1: 8}})`)
		poll(ctx, t, fmt.Sprintf(`stemflow.graph.run === %d && stemflow.graph.nodes.length > 0 && stemflow.graph.states.includes(1)
			&& document.querySelectorAll('#graphSvg rect.n1').length > 0`, id))
		states := eval[[]int](ctx, t, `stemflow.graph.states`)
		kinds := eval[[]string](ctx, t, `stemflow.graph.nodes.map(n => n.kind)`)
		running, waiting := 0, 0
		for i, s := range states {
			if kinds[i] != "task" {
				continue
			}
			switch s {
			case int(nodeRunning):
				running++
			case int(nodeWaiting):
				waiting++
			}
		}
		if running == 0 || running > 2 || waiting == 0 {
			t.Fatalf("while the gate is shut: %d partition tasks running, %d waiting; want 1–2 running (a pool of 2) and some waiting", running, waiting)
		}
		if n := eval[int](ctx, t, `document.querySelectorAll('#graphSvg rect.n0').length`); n == 0 {
			t.Fatal("no node drawn as waiting")
		}
		if *updateScreenshot {
			eval[bool](ctx, t, `(window.scrollTo(0, 0), true)`)
			shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("..", "docs", "serve-graph.png"), shot, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		openGate()
		poll(ctx, t, fmt.Sprintf(`stemflow.graph.run === %d && stemflow.graph.state === 'done'`, id))
		states = eval[[]int](ctx, t, `stemflow.graph.states`)
		for i, s := range states {
			if s != int(nodeDone) {
				t.Fatalf("after the gate opened: node %d state %d, want done", i, s)
			}
		}
		if n := eval[int](ctx, t, `document.querySelectorAll('#graphSvg rect.n2').length`); n != len(states) {
			t.Fatalf("%d green boxes, want %d", n, len(states))
		}
	})

	t.Run("graph failed node", func(t *testing.T) {
		// A point detector at (0, 0) runs the test's UDF that fails in partition 3.
		id := eval[int](ctx, t, `stemflow.run({kind: 'point', y: 0, x: 0})`)
		poll(ctx, t, fmt.Sprintf(`stemflow.graph.run === %d && stemflow.graph.state === 'failed' && stemflow.graph.nodes.length > 0`, id))
		failed := eval[[]string](ctx, t, `stemflow.graph.nodes.filter((n, i) => stemflow.graph.states[i] === 3).map(n => n.label)`)
		if len(failed) != 1 || failed[0] != "partition 3" {
			t.Fatalf("failed nodes %q, want [partition 3]", failed)
		}
		if n := eval[int](ctx, t, `document.querySelectorAll('#graphSvg rect.n3').length`); n != 1 {
			t.Fatalf("%d red boxes, want 1", n)
		}
		if txt := eval[string](ctx, t, `document.getElementById('graphStatus').textContent`); !strings.Contains(txt, "failed") || !strings.Contains(txt, "partition 3") {
			t.Fatalf("graph status %q, want the failure named", txt)
		}
		showErr := eval[string](ctx, t, `document.getElementById('error').textContent`)
		if !strings.Contains(showErr, "partition 3") {
			t.Fatalf("page error %q, want the failure shown", showErr)
		}
		eval[bool](ctx, t, `(document.getElementById('error').textContent = '', stemflow.showTab('view'), true)`)
	})

	t.Run("centre of mass", func(t *testing.T) {
		id := eval[int](ctx, t, `stemflow.run({kind: 'com', cy: 32, cx: 32, r: 16, ri: 0, rotation: 0, flip_y: false, regression: -1})`)
		poll(ctx, t, fmt.Sprintf(`!!stemflow.runs[%d] && stemflow.runs[%d].state === 'done' && stemflow.progress.detector.run === %d && stemflow.progress.detector.final`, id, id, id))
		names := eval[[]string](ctx, t, `Object.keys(stemflow.images.detector)`)
		if strings.Join(names, ",") != "magnitude,divergence,curl,field_y,field_x" {
			t.Fatalf("CoM images %q", names)
		}
		near(t, "CoM magnitude", pageImage(ctx, t, "detector", "magnitude"), f.comMagnitude(32, 32, 16), 1e-4)
		poll(ctx, t, `document.getElementById('field').complete && document.getElementById('field').naturalWidth > 0 && !document.getElementById('field').hidden`)
		if h := eval[bool](ctx, t, `document.getElementById('detField').hidden`); h {
			t.Fatal("field.png download link hidden for a CoM result")
		}
		pic := fetchBytes(ctx, t, eval[string](ctx, t, `document.getElementById('detField').href`))
		if _, err := png.Decode(bytes.NewReader(pic)); err != nil {
			t.Fatalf("field.png: %v", err)
		}
	})

	t.Run("std dev and ROI", func(t *testing.T) {
		id := eval[int](ctx, t, `stemflow.run({kind: 'stddev'})`)
		poll(ctx, t, fmt.Sprintf(`!!stemflow.runs[%d] && stemflow.runs[%d].state === 'done' && stemflow.progress.frame.run === %d && stemflow.progress.frame.final`, id, id, id))
		near(t, "std frame", pageImage(ctx, t, "frame", "std"), f.stdFrame(), 1e-5)

		roi := Rect{Y0: 2, X0: 3, Y1: 10, X1: 12}
		id = eval[int](ctx, t, fmt.Sprintf(`stemflow.run({kind: 'disk', cy: 32, cx: 32, r: 12, roi: {y0: %d, x0: %d, y1: %d, x1: %d}})`, roi.Y0, roi.X0, roi.Y1, roi.X1))
		poll(ctx, t, fmt.Sprintf(`!!stemflow.runs[%d] && stemflow.runs[%d].state === 'done' && stemflow.progress.detector.run === %d && stemflow.progress.detector.final`, id, id, id))
		got := pageImage(ctx, t, "detector", "intensity")
		want := f.disk(32, 32, 12)
		for p, g := range got {
			y, x := p/f.nx, p%f.nx
			inside := y >= roi.Y0 && y < roi.Y1 && x >= roi.X0 && x < roi.X1
			switch {
			case inside && math.Abs(float64(g)-want[p]) > 1e-6*want[p]:
				t.Fatalf("ROI image (%d, %d) = %v, want %v", y, x, g, want[p])
			case !inside && g != 0 && !math.IsNaN(float64(g)):
				t.Fatalf("ROI image (%d, %d) = %v outside the ROI, want 0 or NaN", y, x, g)
			}
		}
	})

	t.Run("no console errors", func(t *testing.T) {
		mu.Lock()
		defer mu.Unlock()
		if len(consoleErrors) > 0 {
			t.Fatalf("console errors:\n%s", strings.Join(consoleErrors, "\n"))
		}
	})

	// Refusals, in a second tab (the browser logs refused requests as errors).
	tab, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()
	t.Run("wrong token refused", func(t *testing.T) {
		if err := chromedp.Do(tab, chromedp.Navigate(hs.URL+"/?token=wrong"+token[:4])); err != nil {
			t.Fatal(err)
		}
		body := eval[string](tab, t, `document.body.innerText`)
		if !strings.Contains(body, "forbidden") {
			t.Fatalf("page with a wrong token shows %q, want forbidden", body)
		}
		if ok := eval[bool](tab, t, `typeof window.stemflow === 'undefined'`); !ok {
			t.Fatal("the application loaded with a wrong token")
		}
	})
	t.Run("paths outside refused", func(t *testing.T) {
		if err := chromedp.Do(tab, chromedp.Navigate(hs.URL+"/?token="+token)); err != nil {
			t.Fatal(err)
		}
		poll(tab, t, `window.stemflow && stemflow.ready === true && !!stemflow.session`)
		rel, err := filepath.Rel(f.dir, filepath.Join(f.outside, "secret.npy"))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{rel, "link.npy", filepath.Join(f.outside, "secret.npy"), "./../" + filepath.Base(f.outside) + "/secret.npy"} {
			got := eval[string](tab, t, fmt.Sprintf(`stemflow.open(%q).then(() => 'opened', e => e.status + ' ' + e.message)`, p))
			if !strings.HasPrefix(got, "403 ") || !strings.Contains(got, "outside") {
				t.Fatalf("open %q: %q, want 403 outside the served folder", p, got)
			}
		}
		if txt := eval[string](tab, t, `document.getElementById('error').textContent`); !strings.Contains(txt, "outside") {
			t.Fatalf("page error %q, want the refusal shown", txt)
		}
	})
}

// gatedFrames sums each frame into a nav buffer named like the detectors' result;
// with a gate, every frame first waits for it to close; with failIn > 0, partition
// failIn fails.
type gatedFrames struct {
	gate   <-chan struct{}
	failIn int
}

func (gatedFrames) ResultBuffers(*udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{udf.NavBuffer("intensity", array.Float32)}
}

func (u gatedFrames) ProcessFrame(env *udf.Env, frame array.Array) error {
	if u.failIn > 0 && env.Meta.Partition == u.failIn {
		return fmt.Errorf("partition %d fails on purpose", u.failIn)
	}
	if u.gate != nil {
		<-u.gate
	}
	var s float32
	for _, v := range frame.(*array.Dense[float32]).Data() {
		s += v
	}
	udf.F32(env, 0).Data()[0] += s
	return nil
}
