package web

import (
	"sync"
)

// mailbox holds the events waiting for a session's stream, latest per key: a slow
// page skips intermediate snapshots instead of queueing them, and the server never
// blocks on a page. Keys keep the order in which they were first posted since the
// last drain.
type mailbox struct {
	mu     sync.Mutex
	order  []string
	latest map[string]event
	notify chan struct{} // capacity 1: "something is waiting"
}

// event is one server-sent event: its type and JSON payload.
type event struct {
	name string
	data []byte
}

func newMailbox() *mailbox {
	return &mailbox{latest: map[string]event{}, notify: make(chan struct{}, 1)}
}

// post stores ev under key, replacing an undelivered event with the same key.
func (m *mailbox) post(key string, ev event) {
	m.mu.Lock()
	if _, ok := m.latest[key]; !ok {
		m.order = append(m.order, key)
	}
	m.latest[key] = ev
	m.mu.Unlock()
	select {
	case m.notify <- struct{}{}:
	default:
	}
}

// drain returns the waiting events in key order and empties the box.
func (m *mailbox) drain() []event {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]event, 0, len(m.order))
	for _, k := range m.order {
		out = append(out, m.latest[k])
	}
	m.order = m.order[:0]
	clear(m.latest)
	return out
}
