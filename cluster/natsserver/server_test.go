package natsserver

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestStartServesNATSAndStops(t *testing.T) {
	srv, err := Start(Options{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	url := srv.URL()
	addr, ok := strings.CutPrefix(url, "nats://")
	if !ok || !strings.HasPrefix(addr, "127.0.0.1:") {
		srv.Close()
		t.Fatalf("URL %q, want nats://127.0.0.1:PORT", url)
	}
	// The NATS protocol: the server greets every client with an INFO line.
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if err != nil || !strings.HasPrefix(line, "INFO {") || !strings.Contains(line, `"jetstream":true`) {
		t.Errorf("greeting %q (%v), want INFO {... \"jetstream\":true ...}", line, err)
	}
	srv.Close()
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Close", addr)
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name   string
		o      Options
		is     error
		errHas string
	}{
		{"no store", Options{Port: -1}, ErrNoStore, "store directory"},
	}
	for _, tc := range tests {
		srv, err := Start(tc.o)
		if err == nil {
			srv.Close()
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.is)
		}
		if !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("%s: %q lacks %q", tc.name, err, tc.errHas)
		}
	}
}
