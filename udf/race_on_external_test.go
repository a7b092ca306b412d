//go:build race

package udf_test

// cancelBound is the longest cancel → return the 1 GiB file test accepts: the race
// detector slows every Go loop several times.
const cancelBound = 2500e6 // ns
