package web

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/internal/render"
	"github.com/stemflow/stemflow/udf"
)

// snapshotInterval is the least time between two partial images of one run sent
// to the page (the first and the last are always sent).
const snapshotInterval = 50 * time.Millisecond

// session is one page (browser tab): its opened dataset, its runs and its events.
type session struct {
	id     string
	srv    *Server
	ctx    context.Context // cancelled when the page goes or the server closes
	cancel context.CancelFunc
	box    *mailbox
	wg     sync.WaitGroup // run goroutines

	mu      sync.Mutex
	ds      dataset.Dataset
	dsPath  string
	gen     int                  // dataset generation: bumps on every open
	runs    map[string]*runState // the current run of each slot
	nextRun int
	results map[string]*finished // the last complete result of each slot
	last    map[string]Analysis  // the last analysis started in each slot
}

// runState is one run in a slot.
type runState struct {
	id     int
	cancel context.CancelFunc
	done   chan struct{}
}

// finished is the complete result of a slot's last run, kept for downloads.
type finished struct {
	analysis Analysis
	result   *udf.Result
}

func newSession(srv *Server, id string) *session {
	ctx, cancel := context.WithCancel(srv.ctx)
	return &session{id: id, srv: srv, ctx: ctx, cancel: cancel, box: newMailbox(),
		runs: map[string]*runState{}, results: map[string]*finished{}, last: map[string]Analysis{}}
}

// close cancels every run, waits for them and closes the dataset.
func (s *session) close() {
	s.mu.Lock()
	s.cancel() // under mu: start checks the context and adds to wg under mu
	s.mu.Unlock()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ds != nil {
		s.srv.dropCached(s.ds)
		s.ds.Close()
		s.ds = nil
	}
}

func (s *session) postJSON(key, name string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
		name = "failure"
	}
	s.box.post(key, event{name: name, data: b})
}

// datasetInfo is what the page shows about an opened dataset.
type datasetInfo struct {
	Path       string `json:"path"`
	Format     string `json:"format"`
	Nav        []int  `json:"nav"`
	Sig        []int  `json:"sig"`
	DType      string `json:"dtype"`
	ImageCount int    `json:"image_count"`
	Bytes      int64  `json:"bytes"`
	IO         string `json:"io"`
}

// openRequest names a file under the served folder and the CLI's format flags.
type openRequest struct {
	Path       string `json:"path"`
	Format     string `json:"format"`
	Nav        []int  `json:"nav"`
	Sig        []int  `json:"sig"`
	DType      string `json:"dtype"`
	SyncOffset int    `json:"sync_offset"`
}

// open cancels the session's runs, closes its dataset and opens another.
func (s *session) open(req openRequest) (datasetInfo, error) {
	path, err := s.srv.root.resolve(req.Path)
	if err != nil {
		return datasetInfo{}, err
	}
	if req.DType != "" {
		if _, _, err := array.ParseDType(req.DType); err != nil {
			return datasetInfo{}, fmt.Errorf("dtype %q: %w", req.DType, err)
		}
	}
	ds, err := dataset.Open(req.Format, path, dataset.OpenOptions{
		NavShape: req.Nav, SigShape: req.Sig, DType: req.DType, SyncOffset: req.SyncOffset,
	})
	if err != nil {
		return datasetInfo{}, err
	}
	info := ds.Info()
	if err := s.srv.root.checkFiles(info); err != nil {
		ds.Close()
		return datasetInfo{}, err
	}
	shape := ds.Shape()
	if len(shape.Nav()) != 2 || len(shape.Sig()) != 2 {
		ds.Close()
		return datasetInfo{}, fmt.Errorf("%s: the viewer needs a 2-D scan and 2-D frames, the data has nav %v, sig %v (set nav/sig shape)", req.Path, shape.Nav(), shape.Sig())
	}
	s.stopAll()
	s.mu.Lock()
	if s.ds != nil {
		s.srv.dropCached(s.ds)
		s.ds.Close()
	}
	s.ds, s.dsPath = ds, req.Path
	s.gen++
	clear(s.results)
	clear(s.last)
	s.mu.Unlock()
	di := datasetInfo{Path: req.Path, Format: info.Format, Nav: shape.Nav(), Sig: shape.Sig(),
		DType: ds.DType().String(), ImageCount: info.ImageCount, Bytes: info.Bytes, IO: info.IO}
	return di, nil
}

// stopAll cancels every run and waits for them to end.
func (s *session) stopAll() {
	s.mu.Lock()
	var waits []chan struct{}
	for k, r := range s.runs {
		r.cancel()
		waits = append(waits, r.done)
		delete(s.runs, k)
	}
	s.mu.Unlock()
	for _, w := range waits {
		<-w
	}
}

// errNoDataset is returned for analysis requests before a dataset is open.
var errNoDataset = errors.New("no dataset open")

// start starts an analysis in its slot: the run it replaces is cancelled, and the
// new one starts once that one has ended. It returns the run id.
func (s *session) start(a Analysis) (int, error) {
	slot, _ := slotOf(a.Kind)
	s.mu.Lock()
	if s.ds == nil {
		s.mu.Unlock()
		return 0, errNoDataset
	}
	if err := s.ctx.Err(); err != nil {
		s.mu.Unlock()
		return 0, err
	}
	prev := s.runs[slot]
	s.nextRun++
	ctx, cancel := context.WithCancel(s.ctx)
	r := &runState{id: s.nextRun, cancel: cancel, done: make(chan struct{})}
	s.runs[slot] = r
	s.last[slot] = a
	ds, gen := s.ds, s.gen
	s.wg.Add(1)
	s.mu.Unlock()
	if prev != nil {
		prev.cancel()
	}
	go func() {
		defer s.wg.Done()
		defer close(r.done)
		defer cancel()
		if prev != nil {
			<-prev.done
		}
		s.run(ctx, ds, gen, slot, r.id, a)
	}()
	return r.id, nil
}

// statusEvent reports the state of a run: started, done, cancelled or failed.
type statusEvent struct {
	Slot   string  `json:"slot"`
	Run    int     `json:"run"`
	Kind   string  `json:"kind"`
	State  string  `json:"state"`
	Error  string  `json:"error,omitempty"`
	Millis float64 `json:"ms"`
}

// imageEvent carries the images of one snapshot of a run.
type imageEvent struct {
	Slot   string      `json:"slot"`
	Run    int         `json:"run"`
	Kind   string      `json:"kind"`
	Done   int         `json:"done"`
	Total  int         `json:"total"`
	Final  bool        `json:"final"`
	Millis float64     `json:"ms"` // since the run started
	Images []imageData `json:"images"`
}

// imageData is one 2-D float32 image, little-endian, base64.
type imageData struct {
	Name  string  `json:"name"`
	H     int     `json:"h"`
	W     int     `json:"w"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Data  string  `json:"data"`
	Field string  `json:"field,omitempty"` // com: the colour-wheel picture, a PNG data URL
}

// run computes one analysis with udf.RunIter on the server's worker pool and posts
// its snapshots; a detector run also posts its graph's live node states.
func (s *session) run(ctx context.Context, ds dataset.Dataset, gen int, slot string, id int, a Analysis) {
	t0 := time.Now()
	st := statusEvent{Slot: slot, Run: id, Kind: a.Kind, State: "started"}
	key := fmt.Sprintf("status:%d", id)
	s.postJSON(key, "status", st)
	opts := udf.Options{Pool: s.srv.pool, NumPartitions: s.srv.partitions(ds), Devices: s.srv.devices}
	var live *liveGraph
	var stopReports func()
	if slot == "detector" {
		live = newLiveGraph(s, id, a.Kind)
		opts.Observer = live
		stop := make(chan struct{})
		reported := make(chan struct{})
		go func() {
			defer close(reported)
			live.reportEvery(stop)
		}()
		var once sync.Once
		stopReports = func() { once.Do(func() { close(stop); <-reported }) }
		defer stopReports()
	}
	finish := func(state string, err error) {
		st.State, st.Millis = state, ms(time.Since(t0))
		if err != nil {
			st.Error = err.Error()
		}
		if live != nil {
			stopReports() // so that no periodic report can follow the final one
			live.report(state, st.Error)
		}
		s.postJSON(key, "status", st)
	}
	u, roi, err := a.build(ds.Shape().Nav())
	if err != nil {
		finish("failed", err)
		return
	}
	if h := s.srv.testHookUDF; h != nil {
		u = h(a, u)
	}
	if roi != nil {
		opts.ROI = roi
	}
	var lastSent time.Time
	var final *udf.Result
	for snap, err := range udf.RunIter(ctx, ds, []udf.UDF{u}, opts) {
		if err != nil {
			if ctx.Err() != nil {
				finish("cancelled", nil)
				return
			}
			finish("failed", err)
			return
		}
		if h := s.srv.testHookSnapshot; h != nil {
			h(ctx, id, a)
		}
		last := snap.Done() == snap.Total()
		if !last && time.Since(lastSent) < snapshotInterval {
			continue
		}
		rs, err := snap.Results()
		if err != nil {
			finish("failed", err)
			return
		}
		ev := imageEvent{Slot: slot, Run: id, Kind: a.Kind, Done: snap.Done(), Total: snap.Total(), Final: last, Millis: ms(time.Since(t0))}
		ev.Images, err = images(a.Kind, rs[0], ds.Shape())
		if err != nil {
			finish("failed", err)
			return
		}
		if ctx.Err() != nil {
			break
		}
		s.postJSON("image:"+slot, "image", ev)
		lastSent = time.Now()
		if last {
			final = rs[0]
		}
	}
	if ctx.Err() != nil || final == nil {
		finish("cancelled", nil)
		return
	}
	s.mu.Lock()
	if s.gen == gen {
		s.results[slot] = &finished{analysis: a, result: final}
	}
	s.mu.Unlock()
	finish("done", nil)
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }

// images converts the shown buffers of a result to 2-D float32 images.
func images(kind string, r *udf.Result, shape array.Shape) ([]imageData, error) {
	h, w := shape.Nav()[0], shape.Nav()[1]
	if slot, _ := slotOf(kind); slot == "frame" {
		h, w = shape.Sig()[0], shape.Sig()[1]
	}
	var out []imageData
	for _, name := range shown(kind) {
		b := r.Get(name)
		if b == nil {
			return nil, fmt.Errorf("result has no buffer %q", name)
		}
		img, err := toImage(name, b.Data(), h, w)
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	if kind == "com" {
		fy, fx := r.Get("field_y"), r.Get("field_x")
		pic, err := fieldPNG(fy.Data(), fx.Data())
		if err != nil {
			return nil, err
		}
		out[0].Field = "data:image/png;base64," + base64.StdEncoding.EncodeToString(pic)
	}
	return out, nil
}

// toImage encodes a, which must hold h×w values, as a float32 image.
func toImage(name string, a array.Array, h, w int) (imageData, error) {
	if a.Size() != h*w {
		return imageData{}, fmt.Errorf("buffer %s has shape %v, want %d×%d values", name, a.Shape(), h, w)
	}
	v, err := render.Float64s(a)
	if err != nil {
		return imageData{}, fmt.Errorf("buffer %s: %w", name, err)
	}
	raw := make([]byte, 4*len(v))
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(x)))
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	if lo > hi {
		lo, hi = 0, 0
	}
	return imageData{Name: name, H: h, W: w, Min: lo, Max: hi, Data: base64.StdEncoding.EncodeToString(raw)}, nil
}
