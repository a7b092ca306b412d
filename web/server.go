package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/internal/render"
	"github.com/stemflow/stemflow/sched"
	"github.com/stemflow/stemflow/udf"
)

//go:embed static
var static embed.FS

// Config configures a Server.
type Config struct {
	// Dir is the served folder: only files under it can be listed and opened.
	Dir string
	// Token, when non-empty, must accompany every request and event stream: as
	// ?token=... (the page then keeps it in an HttpOnly cookie) or in the header
	// "Authorization: token ...". Without a token only loopback Host headers are
	// accepted. NewToken makes a random one.
	Token string
	// Workers is the size of the worker pool that every run of every session
	// shares (0: GOMAXPROCS): at most Workers partition tasks and merges compute
	// at once, whatever the number of tabs and datasets, and concurrent runs take
	// turns.
	Workers int
	// Devices are accelerators the runs use beside the CPU workers (see
	// udf.Device). A device without a Cache gets one (bounded by DeviceCacheLimit), so
	// moving a detector re-runs from device memory; a session's cached partitions
	// are dropped when it opens another dataset or closes. The server does not
	// close the devices.
	Devices []udf.Device
	// DeviceCacheLimit bounds the device memory each added cache holds, in bytes
	// (0: no bound).
	DeviceCacheLimit int64
	// Partitions is the least number of partitions of an interactive run, so that
	// partial images arrive early (0: 8 per worker).
	Partitions int
}

// Server is the stemflow web application. Create it with New, serve Handler, and
// Close it to cancel every run and end every event stream.
type Server struct {
	cfg     Config
	root    root
	pool    *sched.Pool  // shared by every run
	devices []udf.Device // cfg.Devices, each with a cache
	ctx     context.Context
	cancel  context.CancelFunc

	mu       sync.Mutex
	sessions map[string]*session
	streams  sync.WaitGroup

	// testHookSnapshot, when set (by tests, before serving), is called with the
	// run's context, id and analysis before each snapshot of a run is handled.
	testHookSnapshot func(ctx context.Context, run int, a Analysis)
	// testHookUDF, when set (by tests, before serving), replaces the UDF a run
	// computes for an analysis.
	testHookUDF func(a Analysis, u udf.UDF) udf.UDF
}

// NewToken returns a random access token (128 bits, hex).
func NewToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// IsLoopback reports whether a listen address ("host:port") binds only loopback
// interfaces (127.0.0.0/8, ::1 or "localhost"); an empty host binds every
// interface and is not loopback.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// New returns a server for cfg.Dir.
func New(cfg Config) (*Server, error) {
	r, err := newRoot(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if cfg.Workers < 0 || cfg.Partitions < 0 {
		return nil, fmt.Errorf("web: workers %d and partitions %d, want ≥ 0", cfg.Workers, cfg.Partitions)
	}
	devs := slices.Clone(cfg.Devices)
	for i := range devs {
		if devs[i].Cache == nil {
			devs[i].Cache = &udf.DeviceCache{Limit: cfg.DeviceCacheLimit}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{cfg: cfg, root: r, ctx: ctx, cancel: cancel, sessions: map[string]*session{},
		pool: sched.NewPool(cfg.Workers), devices: devs}, nil
}

// Close cancels every run, ends every event stream and waits for them.
func (s *Server) Close() error {
	s.cancel()
	s.streams.Wait()
	return nil
}

// dropCached frees the device memory that caches ds (its runs have ended).
func (s *Server) dropCached(ds dataset.Dataset) {
	for _, d := range s.devices {
		_ = d.Cache.Drop(ds) // a failed free leaves the entry to the next Drop or Clear
	}
}

// partitions returns the partition count of an interactive run over ds.
func (s *Server) partitions(ds dataset.Dataset) int {
	want := s.cfg.Partitions
	if want == 0 {
		want = 8 * s.pool.Size()
	}
	return min(max(want, dataset.NumPartitions(ds, s.pool.Size(), 0)), max(1, ds.Shape().NavSize()))
}

// Handler returns the HTTP handler of the application.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	sub, _ := fs.Sub(static, "static")
	files := http.FileServerFS(sub)
	mux.Handle("GET /", files)
	mux.HandleFunc("GET /api/datasets", s.handleDatasets)
	mux.HandleFunc("GET /api/colormap", handleColormap)
	mux.HandleFunc("GET /api/events", s.handleEvents)
	mux.HandleFunc("POST /api/s/{id}/open", s.withSession(s.handleOpen))
	mux.HandleFunc("POST /api/s/{id}/run", s.withSession(s.handleRun))
	mux.HandleFunc("GET /api/s/{id}/download/{slot}/{file}", s.withSession(s.handleDownload))
	return s.guard(mux)
}

// tokenCookie is the cookie that keeps the token after the first request.
const tokenCookie = "stemflow_token"

// guard checks the token (or, without one, the Host header) on every request, and
// sets security headers.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'")
		if s.cfg.Token == "" {
			host, _, err := net.SplitHostPort(r.Host)
			if err != nil {
				host = r.Host
			}
			if !IsLoopback(host) && host != "[::1]" {
				http.Error(w, "forbidden: this server answers only to localhost names (start it with a token to serve others)", http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		got, fromQuery := r.URL.Query().Get("token"), true
		if got == "" {
			fromQuery = false
			if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "token ") {
				got = strings.TrimPrefix(a, "token ")
			} else if c, err := r.Cookie(tokenCookie); err == nil {
				got = c.Value
			}
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) != 1 {
			http.Error(w, "forbidden: missing or wrong access token (use the URL stemflow serve printed)", http.StatusForbidden)
			return
		}
		if fromQuery {
			http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: got, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

func httpError(w http.ResponseWriter, code int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// datasetsReply is the answer of /api/datasets.
type datasetsReply struct {
	Root     string      `json:"root"`
	Formats  []string    `json:"formats"`
	Datasets []listEntry `json:"datasets"`
}

func (s *Server) handleDatasets(w http.ResponseWriter, r *http.Request) {
	l, err := s.root.list()
	if err != nil {
		httpError(w, http.StatusInternalServerError, err)
		return
	}
	if l == nil {
		l = []listEntry{}
	}
	writeJSON(w, datasetsReply{Root: string(s.root), Formats: dataset.FormatNames(), Datasets: l})
}

// handleColormap serves the CLI's Viridis map sampled at 256 points, as
// [[r, g, b], ...], so the page colours images as the PNG pictures do.
func handleColormap(w http.ResponseWriter, r *http.Request) {
	lut := make([][3]uint8, 256)
	for i := range lut {
		c := render.Viridis(float64(i) / 255)
		lut[i] = [3]uint8{c.R, c.G, c.B}
	}
	w.Header().Set("Cache-Control", "max-age=3600")
	writeJSON(w, map[string]any{"viridis": lut})
}

// handleEvents is a session's server-sent event stream; the session lives as long
// as the stream.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	s.streams.Add(1)
	defer s.streams.Done()
	if s.ctx.Err() != nil {
		http.Error(w, "server closing", http.StatusServiceUnavailable)
		return
	}
	id := NewToken()
	sess := newSession(s, id)
	s.mu.Lock()
	s.sessions[id] = sess
	s.mu.Unlock()
	defer func() {
		sess.close()
		s.mu.Lock()
		delete(s.sessions, id)
		s.mu.Unlock()
	}()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	sess.postJSON("hello", "hello", map[string]string{"session": id})
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-sess.ctx.Done():
			return
		case <-keep.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
			fl.Flush()
		case <-sess.box.notify:
			for _, ev := range sess.box.drain() {
				if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.name, ev.data); err != nil {
					return
				}
			}
			fl.Flush()
		}
	}
}

// withSession finds the session named in the path.
func (s *Server) withSession(h func(w http.ResponseWriter, r *http.Request, sess *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		sess := s.sessions[r.PathValue("id")]
		s.mu.Unlock()
		if sess == nil {
			httpError(w, http.StatusNotFound, errors.New("no such session (reload the page)"))
			return
		}
		h(w, r, sess)
	}
}

// maxRequest bounds request bodies.
const maxRequest = 1 << 16

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
}

func (s *Server) handleOpen(w http.ResponseWriter, r *http.Request, sess *session) {
	b, err := readBody(w, r)
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	var req openRequest
	if err := json.Unmarshal(b, &req); err != nil {
		httpError(w, http.StatusBadRequest, fmt.Errorf("open request: %w", err))
		return
	}
	info, err := sess.open(req)
	switch {
	case errors.Is(err, ErrOutside):
		httpError(w, http.StatusForbidden, err)
	case err != nil:
		httpError(w, http.StatusBadRequest, err)
	default:
		writeJSON(w, info)
	}
}

// shapeOf returns the session dataset's nav and sig shapes.
func (sess *session) shapeOf() (nav, sig []int, ok bool) {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.ds == nil {
		return nil, nil, false
	}
	sh := sess.ds.Shape()
	return sh.Nav(), sh.Sig(), true
}

func (s *Server) handleRun(w http.ResponseWriter, r *http.Request, sess *session) {
	b, err := readBody(w, r)
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	nav, sig, ok := sess.shapeOf()
	if !ok {
		httpError(w, http.StatusConflict, errNoDataset)
		return
	}
	a, err := parseAnalysis(b, nav, sig)
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	id, err := sess.start(a)
	if err != nil {
		httpError(w, http.StatusConflict, err)
		return
	}
	writeJSON(w, map[string]int{"run": id})
}

// handleDownload serves a buffer of a slot's last complete result as .npy or as
// the CLI's PNG picture (field.png: the colour wheel of a com result).
func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request, sess *session) {
	slot, file := r.PathValue("slot"), r.PathValue("file")
	sess.mu.Lock()
	f := sess.results[slot]
	sess.mu.Unlock()
	if f == nil {
		httpError(w, http.StatusNotFound, fmt.Errorf("no complete result in %q yet", slot))
		return
	}
	name, ext, _ := strings.Cut(file, ".")
	var body []byte
	var err error
	switch {
	case ext == "png" && name == "field" && f.analysis.Kind == "com":
		body, err = fieldPNG(f.result.Get("field_y").Data(), f.result.Get("field_x").Data())
	case ext == "npy" || ext == "png":
		buf := f.result.Get(name)
		if buf == nil {
			httpError(w, http.StatusNotFound, fmt.Errorf("result has no buffer %q (have %s)", name, strings.Join(f.result.Names(), ", ")))
			return
		}
		if ext == "png" {
			body, err = heatmapPNG(buf.Data(), render.Options{Log: r.URL.Query().Get("log") == "1"})
		} else {
			var b strings.Builder
			err = array.WriteNPY(&b, buf.Data())
			body = []byte(b.String())
		}
	default:
		httpError(w, http.StatusNotFound, fmt.Errorf("unknown file %q, want NAME.npy or NAME.png", file))
		return
	}
	if err != nil {
		httpError(w, http.StatusUnprocessableEntity, err)
		return
	}
	ctype := "application/octet-stream"
	if ext == "png" {
		ctype = "image/png"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", f.analysis.Kind+"-"+file))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}
