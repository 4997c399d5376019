package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRunRejectsDSN(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	err := run(context.Background(), []string{"-dsn", "postgres://127.0.0.1/roster"}, io.Discard, io.Discard)
	if !errors.Is(err, errPostgresNotBuiltIn) {
		t.Fatalf("run -dsn: err = %v, want %v", err, errPostgresNotBuiltIn)
	}
}

func TestRunReadsDatabaseURL(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://127.0.0.1/roster")
	err := run(context.Background(), nil, io.Discard, io.Discard)
	if !errors.Is(err, errPostgresNotBuiltIn) {
		t.Fatalf("run with DATABASE_URL: err = %v, want %v", err, errPostgresNotBuiltIn)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	cases := map[string][]string{
		"unknown flag":        {"-port", "80"},
		"bad log level":       {"-log-level", "loud"},
		"positional":          {"serve"},
		"short demo password": {"-demo-password", "short"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), args, io.Discard, &stderr)
			if err == nil {
				t.Fatalf("run %v: err = nil, want an error", args)
			}
		})
	}
}

func TestRunHelpExitsCleanly(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, io.Discard, &stderr); err != nil {
		t.Fatalf("run -h: err = %v, want nil", err)
	}
	if !strings.Contains(stderr.String(), "-demo-password") {
		t.Errorf("usage does not mention -demo-password:\n%s", stderr.String())
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, io.Discard, stderr) }()

	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(stderr.String(), `msg="server started"`) {
		if time.Now().After(deadline) {
			t.Fatalf("server did not start within a minute; log:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after cancel: err = %v, want nil", err)
		}
	case <-time.After(shutdownTimeout + 5*time.Second):
		t.Fatal("run did not return after its context was canceled")
	}
	if !strings.Contains(stderr.String(), `msg="server stopped"`) {
		t.Errorf("log has no stop line:\n%s", stderr.String())
	}
}

// syncBuffer is a bytes.Buffer that the server's logger and the test may
// use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
