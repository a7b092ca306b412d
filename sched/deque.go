package sched

import (
	"sync"
	"sync/atomic"
)

// deque is a double-ended queue of plan indices. Its owner pushes and pops
// at the bottom (LIFO); thieves take from the top (FIFO). A mutex guards it:
// with few workers an uncontended lock costs less than the fences a
// lock-free Chase-Lev deque needs in Go, and n lets callers skip empty
// queues without locking.
type deque struct {
	mu   sync.Mutex
	buf  []int32 // ring, len is a power of two
	head int     // index of the top element
	size int
	n    atomic.Int32 // size, readable without the lock
	_    [32]byte     // keep neighbouring deques off this cache line
}

func (d *deque) grow() {
	nb := make([]int32, max(16, 2*len(d.buf)))
	for i := 0; i < d.size; i++ {
		nb[i] = d.buf[(d.head+i)&(len(d.buf)-1)]
	}
	d.buf = nb
	d.head = 0
}

func (d *deque) pushBottom(x int32) {
	d.mu.Lock()
	if d.size == len(d.buf) {
		d.grow()
	}
	d.buf[(d.head+d.size)&(len(d.buf)-1)] = x
	d.size++
	d.n.Store(int32(d.size))
	d.mu.Unlock()
}

// pushBottomReversed pushes xs so that successive popBottom calls return
// them in the order of xs.
func (d *deque) pushBottomReversed(xs []int32) {
	d.mu.Lock()
	for i := len(xs) - 1; i >= 0; i-- {
		if d.size == len(d.buf) {
			d.grow()
		}
		d.buf[(d.head+d.size)&(len(d.buf)-1)] = xs[i]
		d.size++
	}
	d.n.Store(int32(d.size))
	d.mu.Unlock()
}

func (d *deque) popBottom() (int32, bool) {
	if d.n.Load() == 0 {
		return 0, false
	}
	d.mu.Lock()
	if d.size == 0 {
		d.mu.Unlock()
		return 0, false
	}
	d.size--
	x := d.buf[(d.head+d.size)&(len(d.buf)-1)]
	d.n.Store(int32(d.size))
	d.mu.Unlock()
	return x, true
}

func (d *deque) popTop() (int32, bool) {
	if d.n.Load() == 0 {
		return 0, false
	}
	d.mu.Lock()
	if d.size == 0 {
		d.mu.Unlock()
		return 0, false
	}
	x := d.buf[d.head]
	d.head = (d.head + 1) & (len(d.buf) - 1)
	d.size--
	d.n.Store(int32(d.size))
	d.mu.Unlock()
	return x, true
}

// gate holds ready admission-gated nodes, smallest Order first (ties by plan
// index), as a binary min-heap.
type gate struct {
	mu    sync.Mutex
	items []gateItem
	n     atomic.Int32
}

type gateItem struct {
	order int
	id    int32
}

func (a gateItem) less(b gateItem) bool {
	if a.order != b.order {
		return a.order < b.order
	}
	return a.id < b.id
}

func (q *gate) push(it gateItem) {
	q.mu.Lock()
	q.items = append(q.items, it)
	i := len(q.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.items[i].less(q.items[p]) {
			break
		}
		q.items[i], q.items[p] = q.items[p], q.items[i]
		i = p
	}
	q.n.Store(int32(len(q.items)))
	q.mu.Unlock()
}

func (q *gate) pop() (int32, bool) {
	if q.n.Load() == 0 {
		return 0, false
	}
	q.mu.Lock()
	if len(q.items) == 0 {
		q.mu.Unlock()
		return 0, false
	}
	top := q.items[0]
	last := len(q.items) - 1
	q.items[0] = q.items[last]
	q.items = q.items[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= last {
			break
		}
		m := l
		if r := l + 1; r < last && q.items[r].less(q.items[l]) {
			m = r
		}
		if !q.items[m].less(q.items[i]) {
			break
		}
		q.items[i], q.items[m] = q.items[m], q.items[i]
		i = m
	}
	q.n.Store(int32(len(q.items)))
	q.mu.Unlock()
	return top.id, true
}
