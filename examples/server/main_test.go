package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster"
)

// unreachableDSN names a loopback port where no server listens, with a
// password that must never show in errors or logs.
const (
	unreachableDSN      = "postgres://roster:" + unreachablePassword + "@127.0.0.1:1/roster?sslmode=disable&connect_timeout=5"
	unreachablePassword = "pw-never-shown"
)

func TestRunReportsUnreachableDatabase(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	var stderr syncBuffer
	err := run(context.Background(), []string{"-dsn", unreachableDSN}, io.Discard, &stderr)
	require.Error(t, err)
	assert.Equal(t, roster.KindUnavailable, roster.KindOf(err))
	assert.Contains(t, err.Error(), "connecting to PostgreSQL database roster@127.0.0.1:1/roster failed")
	assert.Contains(t, err.Error(), "connection refused")
	assert.NotContains(t, err.Error(), unreachablePassword)
	assert.Contains(t, stderr.String(), `msg="using the PostgreSQL store" database=roster@127.0.0.1:1/roster`)
	assert.NotContains(t, stderr.String(), unreachablePassword)
}

func TestRunReadsDatabaseURL(t *testing.T) {
	t.Setenv("DATABASE_URL", unreachableDSN)
	err := run(context.Background(), nil, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "roster@127.0.0.1:1/roster")
}

func TestRunPrefersDSNFlag(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://other@127.0.0.1:2/other?sslmode=disable")
	err := run(context.Background(), []string{"-dsn", unreachableDSN}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "roster@127.0.0.1:1/roster")
	assert.NotContains(t, err.Error(), "other@")
}

func TestRunRejectsInvalidDSN(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	err := run(context.Background(), []string{"-dsn", "postgres://roster:" + unreachablePassword + "@127.0.0.1:notaport/roster"}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid PostgreSQL connection string in -dsn or DATABASE_URL")
	assert.NotContains(t, err.Error(), unreachablePassword)
}

func TestUsageHidesDatabaseURL(t *testing.T) {
	t.Setenv("DATABASE_URL", unreachableDSN)
	var stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-h"}, io.Discard, &stderr))
	assert.Contains(t, stderr.String(), "-dsn")
	assert.NotContains(t, stderr.String(), unreachablePassword)
}

func TestRunRejectsBadFlags(t *testing.T) {
	cases := map[string][]string{
		"unknown flag":         {"-port", "80"},
		"bad log level":        {"-log-level", "loud"},
		"positional":           {"serve"},
		"short demo password":  {"-demo-password", "short"},
		"bcrypt cost too low":  {"-bcrypt-cost", "3"},
		"bcrypt cost too high": {"-bcrypt-cost", "32"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), args, io.Discard, &stderr)
			assert.Error(t, err, "run %v", args)
		})
	}
}

func TestRunHelpExitsCleanly(t *testing.T) {
	var stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-h"}, io.Discard, &stderr), "run -h")
	assert.Contains(t, stderr.String(), "-demo-password", "usage")
}

func TestRunStopsOnCancel(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-bcrypt-cost", testBcryptCost}, io.Discard, stderr)
	}()

	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(stderr.String(), `msg="server started"`) {
		if time.Now().After(deadline) {
			require.Failf(t, "server did not start within a minute", "log:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	assert.Contains(t, stderr.String(), "store=memory")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "run after cancel")
	case <-time.After(shutdownTimeout + 5*time.Second):
		require.Fail(t, "run did not return after its context was canceled")
	}
	assert.Contains(t, stderr.String(), `msg="server stopped"`, "log has no stop line")
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
