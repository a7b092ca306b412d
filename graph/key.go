package graph

import (
	"crypto/rand"
	"encoding/binary"
	"sync/atomic"
)

// Token returns the deterministic key "name-<16 hex digits>" of a node whose
// identity is its name plus the keys of its arguments (and any extra
// identity strings the caller adds, such as a parameter's canonical form).
// Equal inputs give equal keys in every process, so building the same node
// twice yields one node. The digest is a 64-bit FNV-1a hash with a final
// avalanche mix; it separates its inputs so ("ab","c") and ("a","bc") differ.
func Token(name string, deps []Key, extra ...string) Key {
	h := uint64(fnvOffset)
	h = fnvString(h, name)
	h = fnvByte(h, 0xff)
	for _, d := range deps {
		h = fnvString(h, string(d))
		h = fnvByte(h, 0)
	}
	h = fnvByte(h, 0xfe)
	for _, x := range extra {
		h = fnvString(h, x)
		h = fnvByte(h, 0)
	}
	return makeKey(name, mix64(h))
}

// UniqueKey returns a key "name-<16 hex digits>" that no other call in this
// process returns (a random per-process seed plus a counter, mixed), for
// nodes without a caller-given identity.
func UniqueKey(name string) Key {
	return makeKey(name, mix64(uniqueSeed+uniqueCounter.Add(1)*0x9e3779b97f4a7c15))
}

var (
	uniqueSeed    = randomSeed()
	uniqueCounter atomic.Uint64
)

func randomSeed() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0x243f6a8885a308d3
	}
	return binary.LittleEndian.Uint64(b[:])
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

func fnvByte(h uint64, b byte) uint64 {
	h ^= uint64(b)
	h *= fnvPrime
	return h
}

// mix64 is the splitmix64 finaliser.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func makeKey(name string, tok uint64) Key {
	const hexdig = "0123456789abcdef"
	b := make([]byte, len(name)+17)
	copy(b, name)
	b[len(name)] = '-'
	for i := 0; i < 16; i++ {
		b[len(b)-1-i] = hexdig[tok&0xf]
		tok >>= 4
	}
	return Key(b)
}
