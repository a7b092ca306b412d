package udf

import (
	"container/list"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends/cuda"
	"github.com/stemflow/stemflow/dataset"
)

// DeviceCache keeps datasets in device memory across runs: the first run that reads a
// partition on a device leaves its frames (in the run's input dtype, ROI-selected)
// there, and later runs over the same dataset, partitioning, dtype and ROI process them
// at device bandwidth without reading or uploading anything: moving a virtual detector
// or changing CoM parameters re-runs from device memory. Set it on a Device (one cache
// per device: its buffers belong to that device's memory). Entries are evicted least
// recently used first when Limit would be exceeded; Clear and Drop release memory.
// A cache is safe for concurrent use. It trusts that a dataset's contents do not change
// while it is cached: Drop it after changing a file.
type DeviceCache struct {
	// Limit bounds the device memory the cache holds, in bytes (0: no bound).
	Limit int64

	mu      sync.Mutex
	used    int64
	entries map[devKey]*list.Element
	lru     list.List // *devEntry, most recent at the front
	hits    int64
	misses  int64
}

type devKey struct {
	ds     dataset.Dataset
	part   int // partition index
	lo, n  int // the partition's frame range (flat nav)
	dtype  array.DType
	roi    uint64 // hash of the ROI (0: none)
	device string
}

type devEntry struct {
	key    devKey
	buf    cuda.Buf
	exec   cuda.Exec // frees buf
	frames int
	bytes  int64
	busy   int    // runs reading it now: not evicted while > 0
	roi    []bool // the ROI it was read with (the key holds only a hash)
}

// Used returns the device memory the cache holds, in bytes, and the number of cached
// partitions.
func (c *DeviceCache) Used() (bytes int64, partitions int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used, len(c.entries)
}

// Stats returns how many partition tasks were served from the cache and how many read
// the dataset.
func (c *DeviceCache) Stats() (hits, misses int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}

// String describes the cache for users: "device cache: 3 partitions, 1.2 GiB of
// device memory (limit 8.0 GiB)".
func (c *DeviceCache) String() string {
	b, n := c.Used()
	lim := "no limit"
	if c.Limit > 0 {
		lim = "limit " + humanBytes(c.Limit)
	}
	return fmt.Sprintf("device cache: %d partitions, %s of device memory (%s)", n, humanBytes(b), lim)
}

// humanBytes formats n bytes with a binary unit: "512 B", "1.5 KiB", "8.0 GiB".
func humanBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	f, unit := float64(n), 0
	for f >= 1024 && unit < 5 {
		f /= 1024
		unit++
	}
	return fmt.Sprintf("%.1f %ciB", f, "KMGTP"[unit-1])
}

// Clear frees every entry that no run is reading.
func (c *DeviceCache) Clear() error { return c.drop(func(devKey) bool { return true }) }

// Drop frees the entries of ds that no run is reading.
func (c *DeviceCache) Drop(ds dataset.Dataset) error {
	return c.drop(func(k devKey) bool { return k.ds == ds })
}

func (c *DeviceCache) drop(match func(devKey) bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for k, el := range c.entries {
		e := el.Value.(*devEntry)
		if match(k) && e.busy == 0 {
			if err := c.removeLocked(el); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

func (c *DeviceCache) removeLocked(el *list.Element) error {
	e := el.Value.(*devEntry)
	c.lru.Remove(el)
	delete(c.entries, e.key)
	c.used -= e.bytes
	return e.exec.Free(e.buf)
}

// lookup returns the entry of k read with roi, marked busy, or nil. For a run with a
// ROI it falls back to the partition's entry read without one (whole is then true:
// the caller gathers the ROI's frames out of it).
func (c *DeviceCache) lookup(k devKey, roi []bool) (e *devEntry, whole bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok || !slices.Equal(el.Value.(*devEntry).roi, roi) {
		el, ok = nil, false
		if roi != nil {
			w := k
			w.roi = 0
			if el, ok = c.entries[w]; ok && el.Value.(*devEntry).roi != nil {
				el, ok = nil, false
			}
			whole = ok
		}
	}
	if !ok {
		c.misses++
		return nil, false
	}
	c.hits++
	c.lru.MoveToFront(el)
	e = el.Value.(*devEntry)
	e.busy++
	return e, whole
}

// reserve makes room for bytes (evicting idle entries) and reports whether it fits.
func (c *DeviceCache) reserve(bytes int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Limit > 0 && bytes > c.Limit {
		return false
	}
	for c.Limit > 0 && c.used+bytes > c.Limit {
		var victim *list.Element
		for el := c.lru.Back(); el != nil; el = el.Prev() {
			if el.Value.(*devEntry).busy == 0 {
				victim = el
				break
			}
		}
		if victim == nil {
			return false
		}
		_ = c.removeLocked(victim)
	}
	c.used += bytes
	return true
}

// unreserve returns bytes reserved for an entry that was not stored.
func (c *DeviceCache) unreserve(bytes int64) {
	c.mu.Lock()
	c.used -= bytes
	c.mu.Unlock()
}

// store adds a filled entry (its bytes already reserved); a concurrent duplicate loses
// and is freed.
func (c *DeviceCache) store(e *devEntry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[devKey]*list.Element{}
	}
	if _, dup := c.entries[e.key]; dup {
		c.used -= e.bytes
		return e.exec.Free(e.buf)
	}
	c.entries[e.key] = c.lru.PushFront(e)
	return nil
}

// release ends a run's use of an entry.
func (c *DeviceCache) release(e *devEntry) {
	c.mu.Lock()
	e.busy--
	c.mu.Unlock()
}

var roiSeed = maphash.MakeSeed()

// roiHash fingerprints a ROI (0 for none).
func roiHash(roi []bool) uint64 {
	if roi == nil {
		return 0
	}
	var h maphash.Hash
	h.SetSeed(roiSeed)
	b := make([]byte, len(roi))
	for i, v := range roi {
		if v {
			b[i] = 1
		}
	}
	_, _ = h.Write(b)
	return h.Sum64() | 1
}
