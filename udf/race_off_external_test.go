//go:build !race

package udf_test

// cancelBound is the longest cancel → return the 1 GiB file test accepts.
const cancelBound = 500e6 // ns
