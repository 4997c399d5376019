package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// testBcryptCost is bcrypt's minimum work factor. With -race on a 2-CPU
// machine, one hash or comparison at the default cost took 1 to 5 seconds,
// and each server run of the story makes about a dozen.
var testBcryptCost = strconv.Itoa(bcrypt.MinCost)

// client sends JSON requests to the server and checks their status.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (c *client) request(method, path, token string, body any, headers map[string]string) response {
	c.t.Helper()
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(c.t, err, "encoding the %s %s body", method, path)
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, reader)
	require.NoError(c.t, err, "building %s %s", method, path)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	require.NoError(c.t, err, "%s %s", method, path)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err, "%s %s: reading the body", method, path)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// doJSON sends a request, checks the status and decodes the body into out.
func (c *client) doJSON(method, path, token string, body any, headers map[string]string, status int, out any) response {
	c.t.Helper()
	resp := c.request(method, path, token, body, headers)
	require.Equal(c.t, status, resp.status, "%s %s: status; body %s", method, path, resp.body)
	if out != nil {
		require.NoError(c.t, json.Unmarshal(resp.body, out), "%s %s: decoding %s", method, path, resp.body)
	}
	return resp
}

func (c *client) json(method, path, token string, body any, status int, out any) response {
	c.t.Helper()
	return c.doJSON(method, path, token, body, nil, status, out)
}

func (c *client) status(method, path, token string, body any, status int) {
	c.t.Helper()
	c.doJSON(method, path, token, body, nil, status, nil)
}

// problem sends a request that must fail with status and returns its
// problem body.
func (c *client) problem(method, path, token string, body any, status int) problemJSON {
	c.t.Helper()
	var p problemJSON
	resp := c.doJSON(method, path, token, body, nil, status, &p)
	assert.Equal(c.t, "application/problem+json", resp.header.Get("Content-Type"), "%s %s: Content-Type", method, path)
	assert.Equal(c.t, status, p.Status, "%s %s: problem status", method, path)
	return p
}

func (c *client) login(email, password string) string {
	c.t.Helper()
	var s sessionJSON
	c.json("POST", "/login", "", map[string]string{"email": email, "password": password}, http.StatusOK, &s)
	require.NotEmpty(c.t, s.Token, "login %s: token", email)
	assert.True(c.t, s.ExpiresAt.After(time.Now()), "login %s: expires_at %s is not in the future", email, s.ExpiresAt)
	return s.Token
}

func (c *client) expectSeats(token string, want seatsJSON) {
	c.t.Helper()
	var got seatsJSON
	c.json("GET", "/api/seats", token, nil, http.StatusOK, &got)
	assert.Equal(c.t, want, got, "seats")
}

// activity returns one page of the activity log for the query string.
func (c *client) activity(token, query string) []entryJSON {
	c.t.Helper()
	var page activityJSON
	c.json("GET", "/api/activity?"+query, token, nil, http.StatusOK, &page)
	return page.Entries
}

// allActivity returns the whole activity log of the token's company,
// newest first, read page by page with the cursor.
func (c *client) allActivity(token string) []entryJSON {
	c.t.Helper()
	// maxPages stops a cursor that never ends; the seeded log has a few
	// pages of 200 entries.
	const maxPages = 50
	var all []entryJSON
	query := "limit=200"
	for range maxPages {
		var page activityJSON
		c.json("GET", "/api/activity?"+query, token, nil, http.StatusOK, &page)
		all = append(all, page.Entries...)
		if page.NextCursor == nil {
			return all
		}
		query = "limit=200&cursor=" + *page.NextCursor
	}
	require.Failf(c.t, "activity log does not end", "still a next_cursor after %d pages", maxPages)
	return nil
}

// serverProcess is the server running as a child process.
type serverProcess struct {
	cmd     *exec.Cmd
	baseURL string
	logs    *logLines
	exited  chan struct{}
	waitErr error
}

// startServer starts the built server with args on a free loopback port
// and waits until GET /healthz returns 200. Without a -dsn in args it runs
// on the memory store. The server is killed at the end of the test unless
// stop ended it.
func startServer(t *testing.T, args ...string) *serverProcess {
	t.Helper()
	bin := buildServer(t)
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-bcrypt-cost", testBcryptCost}, args...)...)
	// A DATABASE_URL meant for other tests would select PostgreSQL.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "DATABASE_URL=") })
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err, "piping the server's stderr")
	require.NoError(t, cmd.Start(), "starting %s", bin)
	srv := &serverProcess{cmd: cmd, logs: &logLines{changed: make(chan struct{})}, exited: make(chan struct{})}
	go func() {
		srv.logs.read(stderr)
		srv.waitErr = cmd.Wait()
		close(srv.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-srv.exited:
		default:
			_ = cmd.Process.Kill()
			<-srv.exited
		}
		if t.Failed() {
			t.Logf("server log:\n%s", srv.logs.String())
		}
	})

	m := srv.logs.waitFor(t, regexp.MustCompile(`msg="server started" addr=(\S+)`), startTimeout)
	srv.baseURL = "http://" + m[1]
	require.True(t, strings.HasPrefix(m[1], "127.0.0.1:"), "server listens on %s, want a loopback address", m[1])
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(srv.baseURL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return srv
			}
		}
		if time.Now().After(deadline) {
			require.Failf(t, "server does not answer GET /healthz", "server at %s: %v", srv.baseURL, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// client returns a client of the server that reports failures to t.
func (s *serverProcess) client(t *testing.T) *client {
	return &client{t: t, base: s.baseURL, http: &http.Client{Timeout: 30 * time.Second}}
}

// stop sends SIGTERM and checks that the server exits with status 0.
func (s *serverProcess) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM), "sending SIGTERM")
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		require.Failf(t, "server does not stop", "server still runs %s after SIGTERM", stopTimeout)
	}
	require.NoError(t, s.waitErr, "server exit, want status 0")
}

// serverBinary is the server built once for all tests of the package, in
// a directory that TestMain removes.
var serverBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte
}

func TestMain(m *testing.M) {
	code := m.Run()
	if serverBinary.dir != "" {
		os.RemoveAll(serverBinary.dir)
	}
	os.Exit(code)
}

// buildServer compiles this package once per test run, with the race
// detector when the test itself runs with it, and returns the binary.
func buildServer(t *testing.T) string {
	t.Helper()
	serverBinary.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			serverBinary.err = err
			return
		}
		serverBinary.dir, err = os.MkdirTemp("", "roster-example-server-")
		if err != nil {
			serverBinary.err = err
			return
		}
		serverBinary.path = filepath.Join(serverBinary.dir, "server")
		args := []string{"build", "-o", serverBinary.path}
		if raceEnabled() {
			args = append(args, "-race")
		}
		cmd := exec.Command(goTool, append(args, ".")...)
		cmd.Env = os.Environ()
		serverBinary.out, serverBinary.err = cmd.CombinedOutput()
	})
	require.NoError(t, serverBinary.err, "building the server with the go command failed:\n%s", serverBinary.out)
	return serverBinary.path
}

func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// logLines collects the server's log lines and wakes waiters on each.
type logLines struct {
	mu      sync.Mutex
	lines   []string
	changed chan struct{}
	closed  bool
}

func (l *logLines) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l.mu.Lock()
		l.lines = append(l.lines, sc.Text())
		close(l.changed)
		l.changed = make(chan struct{})
		l.mu.Unlock()
	}
	l.mu.Lock()
	l.closed = true
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// waitFor returns the submatches of the first line that matches re,
// waiting up to timeout for it.
func (l *logLines) waitFor(t *testing.T, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		for _, line := range l.lines {
			if m := re.FindStringSubmatch(line); m != nil {
				l.mu.Unlock()
				return m
			}
		}
		changed, closed := l.changed, l.closed
		l.mu.Unlock()
		if closed {
			require.Failf(t, "server log line missing", "the server exited without logging a line that matches %s", re)
		}
		select {
		case <-changed:
		case <-deadline:
			require.Failf(t, "server log line missing", "no server log line matches %s after %s", re, timeout)
		}
	}
}

// count returns the number of lines that match re.
func (l *logLines) count(re *regexp.Regexp) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if re.MatchString(line) {
			n++
		}
	}
	return n
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
