// stemflow serve: the page. Plain JavaScript, no build step.
// window.stemflow exposes the page state (images as Float32Array, runs, graph) and
// a small API; the browser tests read values through it.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const VIEW = 384; // displayed size of the image canvases, CSS pixels

  const S = {
    session: null,
    dataset: null,
    images: { frame: {}, detector: {} }, // slot -> name -> {h, w, data, min, max}
    progress: { frame: null, detector: null },
    runs: {}, // id -> {slot, kind, state, ms, error}
    lastRun: { frame: 0, detector: 0 },
    graph: { run: 0, nodes: [], states: [], ms: [], state: '' },
    detector: null,
    frame: { kind: 'sum' },
    roi: null,
    viridis: null,
    errors: [],
  };
  window.stemflow = S;

  function showError(msg) {
    $('error').textContent = msg || '';
  }

  async function api(path, body) {
    const opts = body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
    const r = await fetch(path, opts);
    const text = await r.text();
    let v;
    try { v = JSON.parse(text); } catch (e) { v = { error: text }; }
    if (!r.ok) {
      const err = new Error(v.error || r.statusText);
      err.status = r.status;
      throw err;
    }
    return v;
  }

  // ---- drawing -----------------------------------------------------------

  function decode(b64) {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Float32Array(bytes.buffer);
  }

  function draw(canvas, img, log) {
    if (!img || !S.viridis) return;
    canvas.width = img.w;
    canvas.height = img.h;
    const ctx = canvas.getContext('2d');
    const out = ctx.createImageData(img.w, img.h);
    let lo = img.min, hi = img.max;
    let f = (v) => v;
    if (log) {
      let pos = Infinity;
      for (const v of img.data) if (v > 0 && v < pos) pos = v;
      if (pos !== Infinity) {
        lo = Math.log10(pos);
        hi = Math.log10(Math.max(img.max, pos));
        f = (v) => Math.log10(Math.max(v, pos));
      }
    }
    const span = hi - lo;
    const lut = S.viridis;
    for (let i = 0; i < img.data.length; i++) {
      const v = img.data[i];
      let t = 0.5;
      if (Number.isNaN(v)) {
        out.data[4 * i + 3] = 0;
        continue;
      }
      if (span > 0) t = Math.min(1, Math.max(0, (f(v) - lo) / span));
      const c = lut[Math.round(t * 255)];
      out.data[4 * i] = c[0];
      out.data[4 * i + 1] = c[1];
      out.data[4 * i + 2] = c[2];
      out.data[4 * i + 3] = 255;
    }
    ctx.putImageData(out, 0, 0);
  }

  function frameImage() {
    const imgs = S.images.frame;
    return imgs[Object.keys(imgs)[0]];
  }

  function detImage() {
    const name = $('detShow').value;
    return S.images.detector[name] || S.images.detector[Object.keys(S.images.detector)[0]];
  }

  function redraw() {
    draw($('frame'), frameImage(), $('frameLog').checked);
    draw($('scan'), detImage(), $('detLog').checked);
    drawOverlays();
  }

  // data coordinates (pixel centres at integers) of a mouse event on an overlay
  function dataPos(ev, shape) {
    const r = ev.target.getBoundingClientRect();
    const y = ((ev.clientY - r.top) / r.height) * shape[0] - 0.5;
    const x = ((ev.clientX - r.left) / r.width) * shape[1] - 0.5;
    return { y, x };
  }

  const round1 = (v) => Math.round(v * 2) / 2;

  function drawOverlays() {
    const d = S.dataset;
    const fo = $('frameOverlay').getContext('2d');
    fo.clearRect(0, 0, VIEW, VIEW);
    const so = $('scanOverlay').getContext('2d');
    so.clearRect(0, 0, VIEW, VIEW);
    if (!d) return;
    const ky = VIEW / d.sig[0], kx = VIEW / d.sig[1];
    const P = (y, x) => [(x + 0.5) * kx, (y + 0.5) * ky];
    const a = S.detector;
    fo.lineWidth = 2;
    fo.strokeStyle = '#ff4040';
    if (a) {
      const circle = (cy, cx, r) => {
        const [px, py] = P(cy, cx);
        fo.beginPath();
        fo.ellipse(px, py, Math.max(r * kx, 1), Math.max(r * ky, 1), 0, 0, 2 * Math.PI);
        fo.stroke();
      };
      if (a.kind === 'disk') circle(a.cy, a.cx, a.r);
      if (a.kind === 'ring') { circle(a.cy, a.cx, a.ro); circle(a.cy, a.cx, a.ri); }
      if (a.kind === 'com') { if (a.r > 0) circle(a.cy, a.cx, a.r); if (a.ri > 0) circle(a.cy, a.cx, a.ri); const [px, py] = P(a.cy, a.cx); fo.strokeRect(px - 2, py - 2, 4, 4); }
      if (a.kind === 'rect' && a.rect) fo.strokeRect(a.rect.x0 * kx, a.rect.y0 * ky, (a.rect.x1 - a.rect.x0) * kx, (a.rect.y1 - a.rect.y0) * ky);
      if (a.kind === 'point') fo.strokeRect(a.x * kx, a.y * ky, kx, ky);
    }
    const ny = VIEW / d.nav[0], nx = VIEW / d.nav[1];
    so.lineWidth = 2;
    if (S.roi) {
      so.strokeStyle = '#00e0ff';
      so.strokeRect(S.roi.x0 * nx, S.roi.y0 * ny, (S.roi.x1 - S.roi.x0) * nx, (S.roi.y1 - S.roi.y0) * ny);
    }
    if (S.frame.kind === 'pick') {
      so.strokeStyle = '#ff4040';
      so.strokeRect(S.frame.x * nx, S.frame.y * ny, nx, ny);
    }
  }

  // ---- detector parameters ------------------------------------------------

  const num = (id) => { const v = parseFloat($(id).value); return Number.isFinite(v) ? v : 0; };
  const int = (id) => { const v = parseInt($(id).value, 10); return Number.isFinite(v) ? v : 0; };

  function readDetector() {
    const kind = $('detKind').value;
    const a = { kind };
    if (kind === 'disk' || kind === 'ring' || kind === 'com') { a.cy = num('pCY'); a.cx = num('pCX'); }
    if (kind === 'disk') a.r = num('pR');
    if (kind === 'ring') { a.ri = num('pRI'); a.ro = num('pRO'); }
    if (kind === 'rect') a.rect = { y0: int('pY0'), x0: int('pX0'), y1: int('pY1'), x1: int('pX1') };
    if (kind === 'point') { a.y = int('pY'); a.x = int('pX'); }
    if (kind === 'com') { a.r = num('pR'); a.ri = num('pRI'); a.rotation = num('pRot'); a.flip_y = $('pFlip').checked; a.regression = int('pReg'); }
    if (S.roi) a.roi = S.roi;
    return a;
  }

  function writeDetector(a) {
    $('detKind').value = a.kind;
    const set = (id, v) => { if (v !== undefined) $(id).value = v; };
    set('pCY', a.cy); set('pCX', a.cx); set('pR', a.r); set('pRI', a.ri); set('pRO', a.ro);
    if (a.rect) { set('pY0', a.rect.y0); set('pX0', a.rect.x0); set('pY1', a.rect.y1); set('pX1', a.rect.x1); }
    set('pY', a.y); set('pX', a.x); set('pRot', a.rotation);
    if (a.flip_y !== undefined) $('pFlip').checked = a.flip_y;
    if (a.regression !== undefined) $('pReg').value = String(a.regression);
    showFields();
  }

  function showFields() {
    const kind = $('detKind').value;
    for (const l of $('detFields').querySelectorAll('label')) l.hidden = !l.dataset.k.split(' ').includes(kind);
  }

  function defaults(kind) {
    const d = S.dataset;
    const cy = (d.sig[0] - 1) / 2, cx = (d.sig[1] - 1) / 2, m = Math.min(d.sig[0], d.sig[1]);
    switch (kind) {
      case 'disk': return { kind, cy, cx, r: round1(m / 8) };
      case 'ring': return { kind, cy, cx, ri: round1(m / 6), ro: round1(m / 3) };
      case 'rect': return { kind, rect: { y0: Math.floor(d.sig[0] / 4), x0: Math.floor(d.sig[1] / 4), y1: Math.ceil(3 * d.sig[0] / 4), x1: Math.ceil(3 * d.sig[1] / 4) } };
      case 'point': return { kind, y: Math.floor(d.sig[0] / 2), x: Math.floor(d.sig[1] / 2) };
      case 'com': return { kind, cy: Math.floor(d.sig[0] / 2), cx: Math.floor(d.sig[1] / 2), r: round1(m / 4), ri: 0, rotation: 0, flip_y: false, regression: -1 };
    }
  }

  // ---- runs ----------------------------------------------------------------

  async function run(a) {
    if (!S.session || !S.dataset) throw new Error('no dataset open');
    const slot = ['sum', 'stddev', 'logsum', 'pick'].includes(a.kind) ? 'frame' : 'detector';
    if (slot === 'detector') { S.detector = a; writeDetector(a); } else { S.frame = a; $('frameKind').value = a.kind; }
    drawOverlays();
    try {
      const r = await api('/api/s/' + S.session + '/run', a);
      S.lastRun[slot] = Math.max(S.lastRun[slot], r.run);
      return r.run;
    } catch (e) {
      showError(e.message);
      throw e;
    }
  }

  async function open(path) {
    showError('');
    const req = { path, format: $('fFormat').value };
    const shape = (id) => $(id).value.trim() ? $(id).value.split(',').map((s) => parseInt(s, 10)) : undefined;
    if (shape('fNav')) req.nav = shape('fNav');
    if (shape('fSig')) req.sig = shape('fSig');
    if ($('fDType').value.trim()) req.dtype = $('fDType').value.trim();
    req.sync_offset = parseInt($('fSync').value, 10) || 0;
    let info;
    try {
      info = await api('/api/s/' + S.session + '/open', req);
    } catch (e) {
      showError(e.message);
      throw e;
    }
    S.dataset = info;
    S.images = { frame: {}, detector: {} };
    S.roi = null;
    $('roiText').textContent = 'ROI: all';
    $('info').textContent = `${info.path}\n${info.format}, ${info.dtype}, nav ${info.nav.join('×')}, sig ${info.sig.join('×')}\n${info.image_count} frames, ${(info.bytes / 1048576).toFixed(1)} MiB, ${info.io}`;
    for (const b of $('datasets').querySelectorAll('button')) b.classList.toggle('open', b.dataset.path === path);
    const det = defaults($('detKind').value);
    await Promise.all([run({ kind: 'sum' }), run(det)]);
    return info;
  }

  function onStatus(st) {
    S.runs[st.run] = st;
    const li = document.createElement('li');
    li.textContent = `#${st.run} ${st.kind}: ${st.state}${st.state === 'started' ? '' : ' ' + st.ms + ' ms'}${st.error ? ' — ' + st.error : ''}`;
    li.dataset.run = st.run;
    li.className = 'run-' + st.state;
    $('log').prepend(li);
    while ($('log').children.length > 50) $('log').lastChild.remove();
    const pre = st.slot === 'frame' ? 'frame' : st.slot === 'detector' ? 'det' : null;
    if (st.state === 'started' && pre) S.lastRun[st.slot] = st.run;
    if (pre && st.run === S.lastRun[st.slot]) {
      $(pre + 'Status').textContent = `${st.kind} #${st.run} ${st.state}${st.state === 'started' ? '' : ' in ' + st.ms + ' ms'}`;
      if (st.state === 'failed') showError(st.error);
      updateDownloads();
    }
  }

  function onImage(ev) {
    if (ev.run < S.lastRun[ev.slot]) return; // a superseded run
    const imgs = {};
    for (const im of ev.images) imgs[im.name] = { h: im.h, w: im.w, min: im.min, max: im.max, data: decode(im.data) };
    S.images[ev.slot] = imgs;
    S.progress[ev.slot] = { run: ev.run, done: ev.done, total: ev.total, final: ev.final, ms: ev.ms };
    const pre = ev.slot === 'frame' ? 'frame' : 'det';
    $(pre + 'Progress').max = ev.total;
    $(pre + 'Progress').value = ev.done;
    if (ev.slot === 'detector') {
      const names = ev.images.map((i) => i.name);
      const sel = $('detShow');
      if (sel.dataset.names !== names.join()) {
        sel.innerHTML = '';
        for (const n of names) { const o = document.createElement('option'); o.value = n; o.textContent = n; sel.append(o); }
        sel.dataset.names = names.join();
      }
      const field = ev.images[0].field;
      $('field').hidden = !field;
      if (field) $('field').src = field;
    }
    redraw();
  }

  function updateDownloads() {
    const base = '/api/s/' + S.session + '/download/';
    const fname = { sum: 'intensity', stddev: 'std', logsum: 'logsum', pick: 'intensity' }[S.frame.kind] || 'intensity';
    $('frameNpy').href = base + 'frame/' + fname + '.npy';
    $('framePng').href = base + 'frame/' + fname + '.png' + ($('frameLog').checked ? '?log=1' : '');
    const a = S.detector || {};
    const dname = a.kind === 'com' ? ($('detShow').value || 'magnitude') : 'intensity';
    $('detNpy').href = base + 'detector/' + dname + '.npy';
    $('detPng').href = base + 'detector/' + dname + '.png' + ($('detLog').checked ? '?log=1' : '');
    $('detField').href = base + 'detector/field.png';
    $('detField').hidden = a.kind !== 'com';
  }

  // ---- graph view --------------------------------------------------------

  const SVGNS = 'http://www.w3.org/2000/svg';

  function layoutGraph(nodes) {
    // layer = longest path from a source; nodes keep their order inside a layer
    const layer = new Array(nodes.length).fill(0);
    nodes.forEach((n, i) => { for (const d of n.deps) layer[i] = Math.max(layer[i], layer[d] + 1); });
    const rows = [];
    nodes.forEach((n, i) => { (rows[layer[i]] = rows[layer[i]] || []).push(i); });
    const W = 70, H = 44, pos = [];
    let width = 0;
    rows.forEach((row, r) => { row.forEach((i, k) => { pos[i] = { x: 10 + k * W, y: 10 + r * H }; }); width = Math.max(width, row.length * W + 20); });
    return { pos, width, height: rows.length * H + 20, W, H };
  }

  function drawGraph() {
    const g = S.graph;
    const svg = $('graphSvg');
    if (!g.nodes.length) {
      svg.innerHTML = '';
      $('graphTable').querySelector('tbody').innerHTML = '';
      $('graphStatus').textContent = g.run ? `run #${g.run} ${g.kind || ''}: ${g.state}${g.error ? ' — ' + g.error : ''}` : 'no detector run yet';
      return;
    }
    if (!g.layout) {
      svg.innerHTML = '';
      const L = layoutGraph(g.nodes);
      g.layout = L;
      svg.setAttribute('width', L.width);
      svg.setAttribute('height', L.height);
      g.nodes.forEach((n, i) => {
        for (const d of n.deps) {
          const l = document.createElementNS(SVGNS, 'line');
          l.setAttribute('x1', L.pos[d].x + 30); l.setAttribute('y1', L.pos[d].y + 24);
          l.setAttribute('x2', L.pos[i].x + 30); l.setAttribute('y2', L.pos[i].y);
          svg.append(l);
        }
      });
      g.rects = g.nodes.map((n, i) => {
        const grp = document.createElementNS(SVGNS, 'g');
        const r = document.createElementNS(SVGNS, 'rect');
        r.setAttribute('x', L.pos[i].x); r.setAttribute('y', L.pos[i].y);
        r.setAttribute('width', 60); r.setAttribute('height', 24); r.setAttribute('rx', 4);
        const t = document.createElementNS(SVGNS, 'text');
        t.setAttribute('x', L.pos[i].x + 3); t.setAttribute('y', L.pos[i].y + 15);
        t.textContent = n.label.length > 11 ? n.label.slice(0, 10) + '…' : n.label;
        const title = document.createElementNS(SVGNS, 'title');
        grp.append(title, r, t);
        svg.append(grp);
        return { r, title };
      });
      const tb = $('graphTable').querySelector('tbody');
      tb.innerHTML = '';
      g.rows = [];
      g.nodes.forEach((n, i) => {
        if (n.kind !== 'task') return;
        const tr = document.createElement('tr');
        tr.innerHTML = '<td></td><td></td><td></td>';
        tr.children[0].textContent = n.label;
        tb.append(tr);
        g.rows.push([i, tr]);
      });
    }
    const names = ['waiting', 'running', 'done', 'failed', 'cancelled'];
    g.nodes.forEach((n, i) => {
      const st = g.states[i] || 0;
      g.rects[i].r.setAttribute('class', 'n' + st);
      g.rects[i].title.textContent = `${n.label} (${n.kind}): ${names[st]}${g.ms[i] ? ', ' + g.ms[i] + ' ms' : ''}`;
    });
    for (const [i, tr] of g.rows) {
      tr.children[1].textContent = names[g.states[i] || 0];
      tr.children[2].textContent = g.ms[i] ? g.ms[i].toFixed(2) : '';
    }
    const count = (st) => g.nodes.reduce((n, _, i) => n + ((g.states[i] || 0) === st ? 1 : 0), 0);
    const failed = count(3);
    $('graphStatus').textContent = `run #${g.run} ${g.kind || ''}: ${g.state}, ${count(2)}/${g.nodes.length} nodes done, ${count(1)} running${failed ? ', ' + failed + ' failed' : ''}${g.error ? ' — ' + g.error : ''}`;
  }

  // onGraph takes the live graph of the detector run: its structure (nodes, once
  // per run) and its node states (every 100 ms while they change, and at the end),
  // in either order; a newer run replaces the graph.
  function onGraph(ev) {
    let g = S.graph;
    if (ev.run < g.run) return;
    if (ev.run > g.run) g = S.graph = { run: ev.run, kind: ev.kind, nodes: [], states: [], ms: [], state: 'started', error: '' };
    if (ev.nodes) {
      g.nodes = ev.nodes;
      g.layout = null;
    } else {
      g.states = ev.states || [];
      g.ms = ev.ms || [];
      g.state = ev.state;
      g.error = ev.error || '';
    }
    if (!$('graph').hidden) drawGraph();
  }

  function showTab(name) {
    for (const b of document.querySelectorAll('.tab')) b.classList.toggle('active', b.dataset.tab === name);
    $('view').hidden = name !== 'view';
    $('graph').hidden = name !== 'graph';
    if (name === 'graph') drawGraph();
  }

  // ---- mouse ---------------------------------------------------------------

  function frameMouse() {
    const el = $('frameOverlay');
    let start = null;
    const update = (ev, final) => {
      const d = S.dataset;
      const p = dataPos(ev, d.sig);
      const kind = $('detKind').value;
      const cur = readDetector();
      let a;
      const dist = Math.hypot(p.y - start.y, p.x - start.x);
      switch (kind) {
        case 'disk': a = { kind, cy: round1(start.y), cx: round1(start.x), r: Math.max(0.5, round1(dist)) }; break;
        case 'ring': { const ro = Math.max(1, round1(dist)); a = { kind, cy: round1(start.y), cx: round1(start.x), ro, ri: round1(ro / 2) }; break; }
        case 'com': a = Object.assign(cur, { cy: round1(start.y), cx: round1(start.x), r: Math.max(0.5, round1(dist)) }); break;
        case 'rect': {
          const cl = (v, n) => Math.min(n, Math.max(0, v));
          const y0 = cl(Math.floor(Math.min(start.y, p.y) + 0.5), d.sig[0] - 1), x0 = cl(Math.floor(Math.min(start.x, p.x) + 0.5), d.sig[1] - 1);
          const y1 = cl(Math.floor(Math.max(start.y, p.y) + 0.5) + 1, d.sig[0]), x1 = cl(Math.floor(Math.max(start.x, p.x) + 0.5) + 1, d.sig[1]);
          a = { kind, rect: { y0, x0, y1, x1 } };
          break;
        }
        case 'point': a = { kind, y: Math.min(d.sig[0] - 1, Math.max(0, Math.round(p.y))), x: Math.min(d.sig[1] - 1, Math.max(0, Math.round(p.x))) }; break;
      }
      if (S.roi) a.roi = S.roi;
      S.detector = a;
      writeDetector(a);
      drawOverlays();
      if (final) run(a).catch(() => {});
    };
    el.addEventListener('mousedown', (ev) => { if (!S.dataset) return; start = dataPos(ev, S.dataset.sig); ev.preventDefault(); });
    el.addEventListener('mousemove', (ev) => {
      if (!S.dataset) return;
      const p = dataPos(ev, S.dataset.sig), img = frameImage();
      const y = Math.round(p.y), x = Math.round(p.x);
      if (img && y >= 0 && x >= 0 && y < img.h && x < img.w) $('frameValue').textContent = `(${y}, ${x}): ${img.data[y * img.w + x].toPrecision(5)}`;
      if (start) update(ev, false);
    });
    el.addEventListener('mouseup', (ev) => { if (!start) return; update(ev, true); start = null; });
  }

  function scanMouse() {
    const el = $('scanOverlay');
    let start = null;
    const cell = (ev) => {
      const d = S.dataset, p = dataPos(ev, d.nav);
      return { y: Math.min(d.nav[0] - 1, Math.max(0, Math.round(p.y))), x: Math.min(d.nav[1] - 1, Math.max(0, Math.round(p.x))) };
    };
    el.addEventListener('mousedown', (ev) => { if (!S.dataset) return; start = cell(ev); ev.preventDefault(); });
    el.addEventListener('mousemove', (ev) => {
      if (!S.dataset) return;
      const c = cell(ev), img = detImage();
      if (img) $('detValue').textContent = `(${c.y}, ${c.x}): ${img.data[c.y * img.w + c.x].toPrecision(5)}`;
      if (start && $('roiDraw').checked) {
        S.roi = { y0: Math.min(start.y, c.y), x0: Math.min(start.x, c.x), y1: Math.max(start.y, c.y) + 1, x1: Math.max(start.x, c.x) + 1 };
        drawOverlays();
      }
    });
    el.addEventListener('mouseup', (ev) => {
      if (!start) return;
      const c = cell(ev);
      if ($('roiDraw').checked) {
        S.roi = { y0: Math.min(start.y, c.y), x0: Math.min(start.x, c.x), y1: Math.max(start.y, c.y) + 1, x1: Math.max(start.x, c.x) + 1 };
        $('roiText').textContent = `ROI: [${S.roi.y0}, ${S.roi.y1}) × [${S.roi.x0}, ${S.roi.x1})`;
        start = null;
        run(readDetector()).catch(() => {});
        return;
      }
      start = null;
      run({ kind: 'pick', y: c.y, x: c.x }).catch(() => {});
    });
  }

  // ---- start-up -------------------------------------------------------------

  function connect() {
    const es = new EventSource('/api/events');
    S.eventSource = es;
    es.addEventListener('hello', (e) => {
      S.session = JSON.parse(e.data).session;
      $('conn').textContent = 'connected';
      if (S.dataset) open(S.dataset.path).catch(() => {}); // the server lost our session: reopen
    });
    es.addEventListener('status', (e) => onStatus(JSON.parse(e.data)));
    es.addEventListener('image', (e) => onImage(JSON.parse(e.data)));
    es.addEventListener('graph', (e) => onGraph(JSON.parse(e.data)));
    es.addEventListener('failure', (e) => showError(JSON.parse(e.data).error));
    es.onerror = () => { $('conn').textContent = 'disconnected, retrying…'; };
  }

  async function listDatasets() {
    const r = await api('/api/datasets');
    $('root').textContent = r.root;
    const sel = $('fFormat');
    for (const f of r.formats) { const o = document.createElement('option'); o.value = f; o.textContent = f; sel.append(o); }
    const ul = $('datasets');
    ul.innerHTML = '';
    for (const d of r.datasets) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.path = d.path;
      b.textContent = `${d.path} (${d.format}, ${(d.size / 1048576).toFixed(1)} MiB)`;
      b.addEventListener('click', () => open(d.path).catch(() => {}));
      li.append(b);
      ul.append(li);
    }
    if (!r.datasets.length) ul.textContent = 'no dataset found';
    S.datasets = r.datasets;
  }

  async function init() {
    S.viridis = (await api('/api/colormap')).viridis;
    for (const b of document.querySelectorAll('.tab')) b.addEventListener('click', () => showTab(b.dataset.tab));
    $('detKind').addEventListener('change', () => { if (S.dataset) run(defaults($('detKind').value)).catch(() => {}); else showFields(); });
    for (const el of $('detFields').querySelectorAll('input, select')) el.addEventListener('change', () => { if (S.dataset) run(readDetector()).catch(() => {}); });
    $('frameKind').addEventListener('change', () => {
      const k = $('frameKind').value;
      if (!S.dataset) return;
      run(k === 'pick' ? { kind: 'pick', y: Math.floor(S.dataset.nav[0] / 2), x: Math.floor(S.dataset.nav[1] / 2) } : { kind: k }).catch(() => {});
    });
    $('frameLog').addEventListener('change', () => { redraw(); updateDownloads(); });
    $('detLog').addEventListener('change', () => { redraw(); updateDownloads(); });
    $('detShow').addEventListener('change', () => { redraw(); updateDownloads(); });
    $('roiClear').addEventListener('click', () => { S.roi = null; $('roiText').textContent = 'ROI: all'; if (S.dataset) run(readDetector()).catch(() => {}); });
    frameMouse();
    scanMouse();
    showFields();
    connect();
    await listDatasets();
    S.ready = true;
  }

  S.open = open;
  S.run = run;
  S.showTab = showTab;
  S.api = api;
  init().catch((e) => { S.initError = e.message; showError(e.message); });
})();
