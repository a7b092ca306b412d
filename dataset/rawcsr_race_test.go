//go:build race

package dataset

// rawCSRRace is true under the race detector, where sync.Pool drops items at random
// and allocation counts are not meaningful.
const rawCSRRace = true
