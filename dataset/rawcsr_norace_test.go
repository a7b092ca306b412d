//go:build !race

package dataset

const rawCSRRace = false
