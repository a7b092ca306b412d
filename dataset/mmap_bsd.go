//go:build darwin || freebsd || netbsd || openbsd

package dataset

const mapPopulate = 0

func advise(b []byte) {}
