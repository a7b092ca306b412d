package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestServe(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- cli(ctx, []string{"serve", "--addr", "127.0.0.1:0", dir}, &out, &stderr) }()
	re := regexp.MustCompile(`open (http://127\.0\.0\.1:\d+/)\?token=([0-9a-f]{32})`)
	var m []string
	for deadline := time.Now().Add(10 * time.Second); m == nil; {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no URL printed: %q %q", out.String(), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
		m = re.FindStringSubmatch(out.String())
	}
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(m[1] + "api/datasets"); code != http.StatusForbidden {
		t.Errorf("without token: %d, want 403", code)
	}
	if code, body := get(m[1] + "api/datasets?token=" + m[2]); code != 200 || !strings.Contains(body, `"datasets":[]`) {
		t.Errorf("with token: %d %s", code, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d after Ctrl-C, want 0; stderr %q", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--no-token", "--addr", "0.0.0.0:0"},
		{"serve", "a", "b"},
		{"serve", "--workers", "-1"},
		{"serve", "--device", "tpu"},
		{"serve", "--device-cache", "-1"},
	} {
		var out, errb bytes.Buffer
		if code := cli(context.Background(), args, &out, &errb); code != exitUsage {
			t.Errorf("%q: exit %d, want %d (%s)", args, code, exitUsage, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := cli(context.Background(), []string{"serve", "/does/not/exist"}, &out, &errb); code != exitError {
		t.Errorf("missing folder: exit %d, want %d", code, exitError)
	}
}
