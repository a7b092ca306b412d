package sched

import (
	"runtime"
	"sync"
)

// Pool is a fixed number of worker slots shared by every run that names it in
// Options.Pool: a general worker of such a run holds a slot while its node's op
// runs, so all those runs together run at most Size ops at once, whatever their
// number. Slots are granted first come, first served (a worker that finishes a
// node queues behind the workers already waiting), so concurrent runs take turns
// and none starves. A worker waiting for a slot gives up as soon as its run is
// cancelled or fails, and a finished op returns its slot at once, so a cancelled
// run hands its slots to the others as soon as its running ops return.
//
// Lane workers (devices, and the iteration lane of udf.RunIter) do not take
// slots: they stand for other resources. An op must not start another run on
// the same pool and wait for it: with every slot held by such ops, the inner
// runs would never get one.
//
// A Pool needs no closing and is safe for concurrent use; the zero value is not
// usable, make one with NewPool.
type Pool struct {
	size int

	mu      sync.Mutex
	free    int
	waiters []*poolWaiter // FIFO
}

// poolWaiter is a worker's place in a Pool's queue; each worker owns one, so
// waiting allocates nothing per node.
type poolWaiter struct {
	grant chan struct{} // capacity 1: the slot, handed over by release
}

// NewPool returns a pool of size slots; size <= 0 means runtime.GOMAXPROCS(0).
func NewPool(size int) *Pool {
	if size <= 0 {
		size = runtime.GOMAXPROCS(0)
	}
	return &Pool{size: size, free: size}
}

// Size returns the number of slots.
func (p *Pool) Size() int { return p.size }

// InUse returns the number of slots held now.
func (p *Pool) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.size - p.free
}

// Waiting returns the number of workers waiting for a slot now.
func (p *Pool) Waiting() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiters)
}

// acquire takes a slot for w, waiting in line behind earlier callers. It
// returns false, holding nothing, when done is closed first.
func (p *Pool) acquire(w *poolWaiter, done <-chan struct{}) bool {
	p.mu.Lock()
	if p.free > 0 && len(p.waiters) == 0 {
		p.free--
		p.mu.Unlock()
		return true
	}
	p.waiters = append(p.waiters, w)
	p.mu.Unlock()
	select {
	case <-w.grant:
		return true
	case <-done:
	}
	p.mu.Lock()
	for i, x := range p.waiters {
		if x == w {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			p.mu.Unlock()
			return false
		}
	}
	p.mu.Unlock()
	// release granted the slot before we left the queue: pass it on.
	<-w.grant
	p.release()
	return false
}

// release returns a slot: to the first waiter, or to the free count.
func (p *Pool) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.waiters) > 0 {
		w := p.waiters[0]
		copy(p.waiters, p.waiters[1:])
		p.waiters[len(p.waiters)-1] = nil
		p.waiters = p.waiters[:len(p.waiters)-1]
		w.grant <- struct{}{} // capacity 1 and one grant per wait: never blocks
		return
	}
	p.free++
}
