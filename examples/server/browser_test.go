package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The browser test drives the admin page of the example server in headless
// Chromium, as an admin would: sign in, hide a column, edit a user, archive
// one, invite into the freed seat and filter the activity log. It checks
// the page's DOM after each step.
//
// It skips when no browser is installed, unless ROSTER_REQUIRE_BROWSER=1
// is set, which makes it fail instead. ROSTER_WRITE_SCREENSHOTS=1 writes
// the screenshots of docs/images.

const (
	// browserTimeout bounds the whole browser test.
	browserTimeout = 90 * time.Second
	// browserWait bounds one wait for the page to reach a state.
	browserWait = 10 * time.Second
	// browserZone is the time zone the browser runs in. It differs from
	// the server's UTC, so the test can check that the page sends its own
	// zone.
	browserZone = "America/New_York"
	// browserPassword is the default -demo-password of the seeded users.
	browserPassword = "roster-demo"
)

// browserNames are the programs that the test looks for, in order.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range browserNames {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	msg := fmt.Sprintf("no browser found (looked for %s); install Debian's chromium to run the browser test", strings.Join(browserNames, ", "))
	if os.Getenv("ROSTER_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + "; ROSTER_REQUIRE_BROWSER=1 makes this a failure")
	}
	t.Skip(msg)
	return ""
}

// browserLogBuffer is a bytes.Buffer that the server's logger and the
// test may use at once.
type browserLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *browserLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *browserLogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServerInProcess runs the example server on a free loopback port
// with extra flags, such as -dsn, until the test ends, and returns its
// base URL. Without -dsn it uses the memory store.
func startServerInProcess(t *testing.T, flags ...string) string {
	t.Helper()
	t.Setenv("DATABASE_URL", "")
	ctx, cancel := context.WithCancel(context.Background())
	logs := &browserLogBuffer{}
	done := make(chan error, 1)
	args := append([]string{"-addr", "127.0.0.1:0"}, flags...)
	go func() { done <- run(ctx, args, io.Discard, logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server stopped with an error: %v", err)
			}
		case <-time.After(shutdownTimeout + 5*time.Second):
			t.Errorf("server did not stop within %s", shutdownTimeout+5*time.Second)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})

	started := regexp.MustCompile(`msg="server started" addr=(127\.0\.0\.1:\d+)`)
	deadline := time.Now().Add(time.Minute)
	for {
		if m := started.FindStringSubmatch(logs.String()); m != nil {
			return "http://" + m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("server exited before it started: %v\nlog:\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start within a minute; log:\n%s", logs.String())
		}
	}
}

// adminPage is the admin page in one browser tab.
type adminPage struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu       sync.Mutex
	problems []string
}

// openBrowser starts headless Chromium with a fresh profile and returns a
// tab. Host names other than 127.0.0.1 do not resolve in it, so the
// browser sends no traffic beyond the loopback server.
func openBrowser(t *testing.T, browser, base string) *adminPage {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("force-color-profile", "srgb"),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	timeoutCtx, cancelTimeout := context.WithTimeout(ctx, browserTimeout)
	// Cleanups run last first, so the browser stops before t.TempDir
	// removes its profile.
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	p := &adminPage{t: t, ctx: timeoutCtx, base: base}

	setZone := chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: browserZone})
		return err
	})
	p.do("start the browser", chromedp.Navigate("about:blank"), setZone)
	go p.collectConsole(chromedp.Console(ctx))
	return p
}

// collectConsole records uncaught exceptions and console errors, such as
// Content-Security-Policy violations. Failed requests are left out,
// because the test provokes some on purpose.
func (p *adminPage) collectConsole(messages func(func(chromedp.ConsoleMessage, error) bool)) {
	for m, err := range messages {
		if err != nil {
			return
		}
		if m.IsException() || (m.Type == chromedp.ConsoleError && m.Source != "network") {
			p.mu.Lock()
			p.problems = append(p.problems, m.String())
			p.mu.Unlock()
		}
	}
}

func (p *adminPage) consoleProblems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.problems...)
}

// do runs actions and fails the test with the page's text when one fails.
func (p *adminPage) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v\npage text:\n%s", step, err, p.text())
	}
}

// text returns the visible text of the page, for failure messages.
func (p *adminPage) text() string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	if err != nil {
		return "(unavailable: " + err.Error() + ")"
	}
	return s
}

// waitUntil waits until the JavaScript expression is truthy.
func (p *adminPage) waitUntil(state, expression string) {
	p.t.Helper()
	_, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](expression, chromedp.WithPollingTimeout(browserWait)))
	if err != nil {
		p.t.Fatalf("waiting until %s: %v\nexpression: %s\npage text:\n%s", state, err, expression, p.text())
	}
}

// evaluate runs a JavaScript expression and decodes its value.
func evaluate[T any](p *adminPage, expression string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expression))
	if err != nil {
		p.t.Fatalf("evaluating %s: %v", expression, err)
	}
	return v
}

func jsString(s string) string {
	return strconv.Quote(s)
}

// typeInto replaces the value of an input by typing text, so that the page
// receives keyboard and input events.
func (p *adminPage) typeInto(selector, text string) {
	p.t.Helper()
	found := evaluate[bool](p, `(() => {
		const e = document.querySelector(`+jsString(selector)+`);
		if (!e) return false;
		e.focus();
		e.value = '';
		e.dispatchEvent(new Event('input', { bubbles: true }));
		return true;
	})()`)
	if !found {
		p.t.Fatalf("the page has no %s", selector)
	}
	if text != "" {
		p.do("type into "+selector, chromedp.SendKeys(chromedp.CSS(selector), text))
	}
}

// choose selects a value of a select element and fires its change event.
func (p *adminPage) choose(selector, value string) {
	p.t.Helper()
	ok := evaluate[bool](p, `(() => {
		const s = document.querySelector(`+jsString(selector)+`);
		if (!s || !Array.from(s.options).some((o) => o.value === `+jsString(value)+`)) return false;
		s.value = `+jsString(value)+`;
		s.dispatchEvent(new Event('change', { bubbles: true }));
		return true;
	})()`)
	if !ok {
		p.t.Fatalf("%s has no option %q", selector, value)
	}
}

func (p *adminPage) click(selector string) {
	p.t.Helper()
	p.do("click "+selector, chromedp.Click(chromedp.CSS(selector)))
}

func (p *adminPage) press(key string) {
	p.t.Helper()
	p.do("press a key", chromedp.KeyEvent(key))
}

// screenshot writes docs/images/NAME.png when ROSTER_WRITE_SCREENSHOTS=1.
// A full screenshot takes the whole page, and the others the viewport,
// which a modal dialog's backdrop covers.
func (p *adminPage) screenshot(name string, full bool) {
	p.t.Helper()
	if os.Getenv("ROSTER_WRITE_SCREENSHOTS") != "1" {
		return
	}
	capture := chromedp.CaptureScreenshot()
	if full {
		capture = chromedp.FullScreenshot(100)
	}
	// The switches animate for 150 ms, and clicks may have scrolled.
	p.do("prepare the screenshot", chromedp.Sleep(300*time.Millisecond), chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	png, err := chromedp.Run(p.ctx, capture)
	if err != nil {
		p.t.Fatalf("taking the screenshot %s: %v", name, err)
	}
	path := filepath.Join("..", "..", "docs", "images", name+".png")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("wrote %s", path)
}

// userRow is a row of the Users table as the page shows it.
type userRow struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Email        string `json:"email"`
	Role         string `json:"role"`
	Verification string `json:"verification"`
	Phone        string `json:"phone"`
	AI           string `json:"ai"`
	Load         string `json:"load"`
	Archived     bool   `json:"archived"`
	HasMenu      bool   `json:"hasMenu"`
}

const userRowsJS = `Array.from(document.querySelectorAll('#users-body tr[data-id]')).map((r) => {
	const cell = (key) => { const c = r.querySelector('[data-col="' + key + '"]'); return c ? c.textContent.trim() : ''; };
	return {
		id: r.dataset.id,
		name: r.querySelector('.user-name').firstChild.textContent.trim(),
		email: r.querySelector('.user-email').textContent.trim(),
		role: cell('role'),
		verification: cell('verification_status'),
		phone: cell('can_access_phone_calls'),
		ai: cell('can_access_ai_assistant'),
		load: cell('conversation_limit'),
		archived: r.classList.contains('is-archived'),
		hasMenu: !!r.querySelector('[data-menu-for]'),
	};
})`

func (p *adminPage) userRows() []userRow {
	p.t.Helper()
	return evaluate[[]userRow](p, userRowsJS)
}

func (p *adminPage) userRow(email string) userRow {
	p.t.Helper()
	for _, r := range p.userRows() {
		if r.Email == email {
			return r
		}
	}
	p.t.Fatalf("the Users table has no row for %s; page text:\n%s", email, p.text())
	return userRow{}
}

// seatCounts is the seat summary as the page shows it.
type seatCounts struct {
	Used      int `json:"used"`
	Available int `json:"available"`
	Limit     int `json:"limit"`
}

func (p *adminPage) seats() seatCounts {
	p.t.Helper()
	return evaluate[seatCounts](p, `({
		used: Number(document.getElementById('seats-used').textContent),
		available: Number(document.getElementById('seats-available').textContent),
		limit: Number(document.getElementById('seats-limit').textContent),
	})`)
}

func (p *adminPage) isVisible(selector string) bool {
	p.t.Helper()
	return evaluate[bool](p, `(() => { const e = document.querySelector(`+jsString(selector)+`); return !!e && e.checkVisibility(); })()`)
}

func (p *adminPage) isDisabled(selector string) bool {
	p.t.Helper()
	return evaluate[bool](p, `document.querySelector(`+jsString(selector)+`).disabled`)
}

func (p *adminPage) activeElementID() string {
	p.t.Helper()
	return evaluate[string](p, `(document.activeElement && (document.activeElement.id || document.activeElement.dataset.menuFor || document.activeElement.textContent.trim())) || ''`)
}

// waitUsersLoaded waits until the Users table is rendered and idle.
func (p *adminPage) waitUsersLoaded(state string) {
	p.t.Helper()
	p.waitUntil(state, `document.querySelector('#users-body tr') && !document.getElementById('users-table').hasAttribute('aria-busy')`)
}

// activityRow is a row of the Activity table as the page shows it.
type activityRow struct {
	Type       string `json:"type"`
	UserID     string `json:"userId"`
	User       string `json:"user"`
	TypeLabel  string `json:"typeLabel"`
	Details    string `json:"details"`
	IP         string `json:"ip"`
	When       string `json:"when"`
	OccurredAt string `json:"occurredAt"`
}

func (p *adminPage) activityRows() []activityRow {
	p.t.Helper()
	return evaluate[[]activityRow](p, `Array.from(document.querySelectorAll('#activity-body tr[data-id]')).map((r) => ({
		type: r.dataset.type,
		userId: r.dataset.userId,
		user: r.cells[0].innerText.replace(/\s+/g, ' ').trim(),
		typeLabel: r.cells[1].textContent.trim(),
		details: r.cells[2].textContent.trim(),
		ip: r.cells[3].textContent.trim(),
		when: r.cells[4].textContent.trim(),
		occurredAt: r.dataset.occurredAt,
	}))`)
}

// waitActivityLoaded waits until the Activity table is rendered and idle.
func (p *adminPage) waitActivityLoaded(state string) {
	p.t.Helper()
	p.waitUntil(state, `document.querySelector('#activity-body tr') && !document.getElementById('activity-table').hasAttribute('aria-busy')`)
}

// browserStep runs one step as a subtest and stops the test when it fails,
// because later steps build on it.
func browserStep(t *testing.T, name string, fn func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, fn) {
		t.FailNow()
	}
}

func TestAdminPageInBrowser(t *testing.T) {
	browser := findBrowser(t)
	t.Run("memory", func(t *testing.T) {
		testAdminPage(t, browser, startServerInProcess(t))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := newTestDatabase(t)
		testAdminPage(t, browser, startServerInProcess(t, "-dsn", dsn, "-bcrypt-cost", "4"))
	})
}

// testAdminPage signs in to the page at base and walks through the admin
// story, checking the page after each step.
func testAdminPage(t *testing.T, browser, base string) {
	p := openBrowser(t, browser, base)
	zone, err := time.LoadLocation(browserZone)
	if err != nil {
		t.Fatalf("loading the time zone %s: %v", browserZone, err)
	}
	const (
		adminEmail  = "admin@acme.test"
		editedEmail = "ben@acme.test"
		archivedOne = "diego@acme.test"
		invitee     = "nora@acme.test"
	)

	browserStep(t, "sign in", func(t *testing.T) {
		p.t = t
		p.do("open the page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("sign-in-email")))
		if got := p.activeElementID(); got != "sign-in-email" {
			t.Errorf("focus after load is on %q, want the email field", got)
		}

		p.typeInto("#sign-in-email", adminEmail)
		p.typeInto("#sign-in-password", "wrong password")
		p.click("#sign-in-submit")
		p.waitUntil("the sign-in error shows", `!document.getElementById('sign-in-error').hidden`)
		msg := evaluate[string](p, `document.getElementById('sign-in-error').textContent`)
		if !strings.Contains(msg, "The email address or the password is wrong") || strings.Contains(msg, "{") {
			t.Errorf("sign-in error = %q, want the problem's detail as a sentence", msg)
		}

		p.typeInto("#sign-in-password", browserPassword)
		p.click("#sign-in-submit")
		p.waitUntil("the workspace shows", `!document.getElementById('workspace').hidden`)
		p.waitUsersLoaded("the Users table loads")
		if token := evaluate[string](p, `sessionStorage.getItem('roster.token') || ''`); token == "" {
			t.Error("the token is not in sessionStorage after sign-in")
		}
	})

	var seatsAtStart seatCounts
	browserStep(t, "users tab", func(t *testing.T) {
		p.t = t
		headers := evaluate[[]string](p, `Array.from(document.querySelectorAll('#users-table thead th')).map((th) => th.textContent.trim())`)
		want := []string{"Name/Email", "Role", "Verification Status", "Can access phone calls", "Can access AI assistant", "Conversation Limit", "Actions"}
		if strings.Join(headers, "|") != strings.Join(want, "|") {
			t.Errorf("headers = %q, want %q", headers, want)
		}
		rows := p.userRows()
		if len(rows) != 10 {
			t.Fatalf("the first page has %d rows, want 10 (the default page size)", len(rows))
		}
		ben := p.userRow(editedEmail)
		if ben.Name != "Ben Carter" || !regexp.MustCompile(`^\d+/\d+$`).MatchString(ben.Load) {
			t.Errorf("Ben's row = %+v, want the name and the load as open/limit", ben)
		}
		if ben.Verification != "Verified" || (ben.Phone != "Yes" && ben.Phone != "No") {
			t.Errorf("Ben's row = %+v, want Verified and Yes/No permissions", ben)
		}
		emma := p.userRow("emma@acme.test")
		if !emma.Archived || emma.HasMenu {
			t.Errorf("Emma's row = %+v, want archived without a menu", emma)
		}

		seatsAtStart = p.seats()
		if seatsAtStart.Limit == 0 || seatsAtStart.Used+seatsAtStart.Available != seatsAtStart.Limit {
			t.Errorf("seat summary = %+v, want used + available = limit", seatsAtStart)
		}
		full := seatsAtStart.Available == 0
		if got := p.isDisabled("#invite-open"); got != full {
			t.Errorf("Invite disabled = %v with %d seats free", got, seatsAtStart.Available)
		}
		if got := p.isVisible("#invite-blocked"); got != full {
			t.Errorf("the no-seat explanation shows = %v with %d seats free", got, seatsAtStart.Available)
		}
		p.screenshot("users", true)

		// The next page continues the list with the next_cursor.
		p.click("#users-next")
		p.waitUntil("page 2 loads", `document.getElementById('users-status').textContent.startsWith('Page 2')`)
		second := p.userRows()
		if len(second) == 0 || second[0].Email == rows[0].Email {
			t.Errorf("page 2 = %+v, want other users than page 1", second)
		}
		if len(second) < 10 && !p.isDisabled("#users-next") {
			t.Errorf("Next is enabled on page 2 with %d of 10 rows", len(second))
		}
		p.click("#users-prev")
		p.waitUntil("page 1 loads again", `document.getElementById('users-status').textContent.startsWith('Page 1')`)
	})

	browserStep(t, "filters and search", func(t *testing.T) {
		p.t = t
		p.typeInto("#user-search", "ben")
		p.waitUntil("the search narrows the list", `document.querySelectorAll('#users-body tr[data-id]').length === 1`)
		if got := p.userRows()[0].Email; got != editedEmail {
			t.Errorf("search ben shows %s, want %s", got, editedEmail)
		}
		p.typeInto("#user-search", "")
		p.choose("#filter-status", "archived")
		p.waitUntil("the status filter applies", `Array.from(document.querySelectorAll('#users-body tr[data-id]')).every((r) => r.classList.contains('is-archived'))`)
		p.choose("#filter-status", "")
		p.choose("#filter-verification", "not_verified")
		p.waitUntil("the verification filter applies", `Array.from(document.querySelectorAll('#users-body tr[data-id] [data-col="verification_status"]')).every((c) => c.textContent.trim() === 'Not verified')`)
		p.choose("#filter-verification", "")
		p.choose("#filter-role", "admin")
		p.waitUntil("the role filter applies", `Array.from(document.querySelectorAll('#users-body tr[data-id] [data-col="role"]')).every((c) => c.textContent.trim() === 'Admin')`)
		p.choose("#filter-role", "")
		p.waitUntil("the full list is back", `document.querySelectorAll('#users-body tr[data-id]').length === 10`)
	})

	browserStep(t, "hide a column", func(t *testing.T) {
		p.t = t
		p.click("#columns-button")
		p.waitUntil("the columns menu opens", `!document.getElementById('columns-menu').hidden`)
		if got := evaluate[string](p, `document.activeElement.dataset.column || ''`); got != "role" {
			t.Errorf("focus in the open menu is on %q, want the first switch", got)
		}
		p.click(`#columns-menu [data-column="verification_status"]`)
		p.waitUntil("the column hides", `document.querySelector('#users-table th[data-col="verification_status"]').hidden`)
		if got := evaluate[string](p, `document.querySelector('[data-column="verification_status"]').getAttribute('aria-checked')`); got != "false" {
			t.Errorf("the switch's aria-checked = %q, want false", got)
		}
		p.press(kb.Escape)
		p.waitUntil("Escape closes the menu", `document.getElementById('columns-menu').hidden`)
		if got := p.activeElementID(); got != "columns-button" {
			t.Errorf("focus after Escape is on %q, want the columns button", got)
		}

		// The choice is stored through PUT /api/users/columns, so a reload
		// restores it from GET /api/users/columns. A reload while the PUT
		// is in flight would cancel it.
		p.waitUntil("the choice is saved", `!('saving' in document.getElementById('columns-menu').dataset)`)
		p.do("reload", chromedp.Reload())
		p.waitUsersLoaded("the Users table loads after the reload")
		hidden := evaluate[[]bool](p, `['role', 'verification_status'].map((k) => document.querySelector('#users-table th[data-col="' + k + '"]').hidden)`)
		if hidden[0] || !hidden[1] {
			t.Errorf("after reload role hidden = %v and verification hidden = %v, want only verification hidden", hidden[0], hidden[1])
		}
		cells := evaluate[int](p, `Array.from(document.querySelectorAll('#users-body td[data-col="verification_status"]')).filter((c) => !c.hidden).length`)
		if cells != 0 {
			t.Errorf("%d verification cells show after reload, want 0", cells)
		}

		// The menu works from the keyboard as well.
		p.do("focus the columns button", chromedp.Focus(chromedp.ID("columns-button")))
		p.press(kb.ArrowDown)
		p.waitUntil("ArrowDown opens the menu", `!document.getElementById('columns-menu').hidden`)
		if got := evaluate[string](p, `document.querySelector('[data-column="verification_status"]').getAttribute('aria-checked')`); got != "false" {
			t.Errorf("the restored switch's aria-checked = %q, want false", got)
		}
		p.press(kb.Escape)
		p.waitUntil("Escape closes the menu", `document.getElementById('columns-menu').hidden`)
	})

	browserStep(t, "edit a user", func(t *testing.T) {
		p.t = t
		ben := p.userRow(editedEmail)
		menuButton := `[data-menu-for="` + ben.ID + `"]`
		menu := "#row-menu-" + ben.ID

		// The row menu from the keyboard: ArrowDown opens it on Edit.
		p.do("focus Ben's menu button", chromedp.Focus(chromedp.CSS(menuButton)))
		p.press(kb.ArrowDown)
		p.waitUntil("the row menu opens", `!document.querySelector(`+jsString(menu)+`).hidden`)
		if got := evaluate[string](p, `document.activeElement.textContent`); got != "Edit" {
			t.Errorf("focus in the row menu is on %q, want Edit", got)
		}
		p.press(kb.ArrowDown)
		if got := evaluate[string](p, `document.activeElement.textContent`); got != "Archive" {
			t.Errorf("ArrowDown moved focus to %q, want Archive", got)
		}
		p.press(kb.ArrowUp)
		p.press(kb.Enter)
		p.waitUntil("the Update User dialog opens", `document.getElementById('edit-dialog').open`)
		if got := evaluate[string](p, `document.getElementById('edit-title').textContent`); got != "Update User" {
			t.Errorf("dialog title = %q, want Update User", got)
		}
		if got := p.activeElementID(); got != "edit-role" {
			t.Errorf("focus in the dialog is on %q, want the role drop-down", got)
		}

		// Escape closes the dialog and returns focus to the row's menu.
		p.press(kb.Escape)
		p.waitUntil("Escape closes the dialog", `!document.getElementById('edit-dialog').open`)
		// The dialog's close event, which moves focus, fires after the
		// dialog has closed.
		p.waitUntil("focus returns to Ben's menu button", `document.activeElement && document.activeElement.dataset.menuFor === `+jsString(ben.ID))

		p.click(menuButton)
		p.click(menu + ` [role="menuitem"]:first-child`)
		p.waitUntil("the Update User dialog opens", `document.getElementById('edit-dialog').open`)
		oldLimit, err := strconv.Atoi(strings.Split(ben.Load, "/")[1])
		if err != nil {
			t.Fatalf("Ben's load %q has no limit", ben.Load)
		}
		if got := evaluate[string](p, `document.getElementById('edit-limit').value`); got != strconv.Itoa(oldLimit) {
			t.Errorf("the dialog's limit = %q, want Ben's %d", got, oldLimit)
		}

		// An out-of-range limit is rejected by the server, and the page
		// shows its field message next to the field.
		p.typeInto("#edit-limit", "150")
		p.click("#edit-save")
		p.waitUntil("the server's error shows", `!document.getElementById('edit-error').hidden`)
		errText := evaluate[string](p, `document.getElementById('edit-error').innerText`)
		if !strings.Contains(errText, "Conversation limit: must be between 0 and 100, got 150") || strings.Contains(errText, `"code"`) {
			t.Errorf("error = %q, want the detail and the field message, not JSON", errText)
		}
		if got := evaluate[string](p, `document.getElementById('edit-limit').getAttribute('aria-invalid') || ''`); got != "true" {
			t.Errorf("the limit field's aria-invalid = %q, want true", got)
		}

		newLimit := 12
		if oldLimit == newLimit {
			newLimit = 13
		}
		newRole, newRoleLabel := "admin", "Admin"
		if ben.Role == "Admin" {
			newRole, newRoleLabel = "user", "User"
		}
		p.choose("#edit-role", newRole)
		p.typeInto("#edit-limit", strconv.Itoa(newLimit))
		p.click("#edit-ai")
		p.screenshot("update-user", false)
		p.click("#edit-save")
		p.waitUntil("the dialog closes", `!document.getElementById('edit-dialog').open`)

		edited := p.userRow(editedEmail)
		open := strings.Split(ben.Load, "/")[0]
		if edited.Role != newRoleLabel {
			t.Errorf("Ben's role shows %q, want %q", edited.Role, newRoleLabel)
		}
		if want := open + "/" + strconv.Itoa(newLimit); edited.Load != want {
			t.Errorf("Ben's load shows %q, want %q", edited.Load, want)
		}
		if edited.AI == ben.AI {
			t.Errorf("Ben's AI assistant access still shows %q", edited.AI)
		}
	})

	var seatsAfterArchive seatCounts
	browserStep(t, "archive a user", func(t *testing.T) {
		p.t = t
		diego := p.userRow(archivedOne)
		p.click(`[data-menu-for="` + diego.ID + `"]`)
		p.click("#row-menu-" + diego.ID + ` [role="menuitem"]:last-child`)
		p.waitUntil("the archive dialog opens", `document.getElementById('archive-dialog').open`)
		if got := p.activeElementID(); got != "archive-confirmation" {
			t.Errorf("focus in the dialog is on %q, want the confirmation field", got)
		}

		for _, wrong := range []string{"Diego", "diego@acme", "Diego ramos", "ben@acme.test"} {
			p.typeInto("#archive-confirmation", wrong)
			if !p.isDisabled("#archive-submit") {
				t.Errorf("Archive is enabled for the confirmation %q", wrong)
			}
		}

		// A client whose check differs from the server's: with the button
		// forced on, the server rejects the text and the page shows why.
		p.typeInto("#archive-confirmation", "Diego")
		evaluate[bool](p, `(() => { document.getElementById('archive-submit').disabled = false; return true; })()`)
		p.click("#archive-submit")
		p.waitUntil("the server's mismatch shows", `!document.getElementById('archive-error').hidden`)
		errText := evaluate[string](p, `document.getElementById('archive-error').innerText`)
		if !strings.Contains(errText, "The confirmation must be the user's exact email address or name.") ||
			!strings.Contains(errText, "Confirmation: type the user's email address or exact name") {
			t.Errorf("mismatch error = %q, want the detail and the field message", errText)
		}
		if !evaluate[bool](p, `document.getElementById('archive-dialog').open`) {
			t.Fatal("the dialog closed after the server rejected the confirmation")
		}
		if got := p.seats(); got != seatsAtStart {
			t.Errorf("seats = %+v after a rejected archive, want %+v", got, seatsAtStart)
		}

		for _, right := range []string{"  DIEGO@acme.test ", "Diego Ramos"} {
			p.typeInto("#archive-confirmation", right)
			if p.isDisabled("#archive-submit") {
				t.Errorf("Archive is disabled for the confirmation %q", right)
			}
		}
		p.screenshot("archive", false)
		p.click("#archive-submit")
		p.waitUntil("the dialog closes", `!document.getElementById('archive-dialog').open`)
		p.waitUsersLoaded("the list reloads")

		archived := p.userRow(archivedOne)
		if !archived.Archived || archived.HasMenu {
			t.Errorf("Diego's row = %+v, want archived without a menu", archived)
		}
		seatsAfterArchive = p.seats()
		want := seatCounts{Used: seatsAtStart.Used - 1, Available: seatsAtStart.Available + 1, Limit: seatsAtStart.Limit}
		if seatsAfterArchive != want {
			t.Errorf("seats after the archive = %+v, want %+v", seatsAfterArchive, want)
		}
		if p.isDisabled("#invite-open") || p.isVisible("#invite-blocked") {
			t.Error("Invite is still blocked with a free seat")
		}
	})

	browserStep(t, "invite into the freed seat", func(t *testing.T) {
		p.t = t
		p.click("#invite-open")
		p.waitUntil("the invite dialog opens", `document.getElementById('invite-dialog').open`)
		if got := p.activeElementID(); got != "invite-email" {
			t.Errorf("focus in the dialog is on %q, want the email field", got)
		}
		p.typeInto("#invite-email", invitee)
		p.typeInto("#invite-name", "Nora Quinn")
		p.choose("#invite-role", "user")
		p.typeInto("#invite-limit", "6")
		p.click("#invite-phone")
		p.click("#invite-submit")
		p.waitUntil("the dialog closes", `!document.getElementById('invite-dialog').open`)

		want := seatCounts{Used: seatsAfterArchive.Used + 1, Available: seatsAfterArchive.Available - 1, Limit: seatsAfterArchive.Limit}
		if got := p.seats(); got != want {
			t.Errorf("seats after the invite = %+v, want %+v", got, want)
		}
		if full := want.Available == 0; p.isDisabled("#invite-open") != full || p.isVisible("#invite-blocked") != full {
			t.Errorf("Invite blocked = %v with %d seats free", p.isDisabled("#invite-open"), want.Available)
		}
		p.typeInto("#user-search", "nora")
		p.waitUntil("the search finds the invitee", `document.querySelectorAll('#users-body tr[data-id]').length === 1`)
		nora := p.userRows()[0]
		if nora.Email != invitee || nora.Verification != "Not verified" || nora.Load != "0/6" || nora.Phone != "Yes" || nora.AI != "No" {
			t.Errorf("the invitee's row = %+v, want not verified, 0/6, phone calls only", nora)
		}
		p.typeInto("#user-search", "")
		p.waitUntil("the full list is back", `document.querySelectorAll('#users-body tr[data-id]').length === 10`)
	})

	browserStep(t, "filter the activity log", func(t *testing.T) {
		p.t = t
		p.click("#tab-activity")
		p.waitActivityLoaded("the activity log loads")
		if got := evaluate[string](p, `document.getElementById('activity-zone').textContent`); !strings.Contains(got, browserZone) {
			t.Errorf("the filter's zone hint = %q, want it to name %s", got, browserZone)
		}

		p.click("#filter-toggle")
		p.waitUntil("the filter panel opens", `!document.getElementById('activity-filter').hidden`)
		adminID := evaluate[string](p, `(Array.from(document.querySelectorAll('#activity-user option')).find((o) => o.textContent.includes(`+jsString(adminEmail)+`)) || {}).value || ''`)
		if adminID == "" {
			t.Fatalf("the User filter has no option for %s", adminEmail)
		}
		types := evaluate[[]string](p, `Array.from(document.querySelectorAll('#activity-type option')).map((o) => o.value).filter(Boolean)`)
		if len(types) < 10 || !containsString(types, "user_updated") || !containsString(types, "login") {
			t.Errorf("the Activity Type filter has %q, want the types of GET /api/activity/types", types)
		}

		// Today's edit of Ben, by the admin, in the browser's time zone.
		now := time.Now().In(zone)
		today := now.Format(time.DateOnly)
		p.choose("#activity-user", adminID)
		p.choose("#activity-type", "user_updated")
		p.do("set the dates", chromedp.SetValue(chromedp.ID("activity-from"), today), chromedp.SetValue(chromedp.ID("activity-to"), today))
		p.click("#activity-apply")
		p.waitUntil("the filtered log loads", `document.getElementById('filter-toggle-label').textContent === 'Filter (4)' && !document.getElementById('activity-table').hasAttribute('aria-busy')`)
		rows := p.activityRows()
		if len(rows) == 0 {
			t.Fatalf("no entry matches today's updates by the admin; page text:\n%s", p.text())
		}
		dayStart := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
		checkActivityRows(t, rows, adminID, "user_updated", dayStart, dayStart.AddDate(0, 0, 1))
		newest := rows[0]
		if !strings.Contains(newest.Details, "Ben Carter") || !strings.Contains(newest.Details, "Conversation limit") {
			t.Errorf("the newest update's details = %q, want Ben's name and the limit change", newest.Details)
		}
		if newest.IP != "127.0.0.1" {
			t.Errorf("the newest update's IP address = %q, want 127.0.0.1", newest.IP)
		}
		p.screenshot("activity", true)

		// Last week's log-ins of the admin: a range of whole days.
		from := now.AddDate(0, 0, -7).Format(time.DateOnly)
		to := now.AddDate(0, 0, -1).Format(time.DateOnly)
		p.choose("#activity-type", "login")
		p.do("set the dates", chromedp.SetValue(chromedp.ID("activity-from"), from), chromedp.SetValue(chromedp.ID("activity-to"), to))
		p.click("#activity-apply")
		p.waitUntil("the filtered log loads", `Array.from(document.querySelectorAll('#activity-body tr[data-id]')).every((r) => r.dataset.type === 'login') && !document.getElementById('activity-table').hasAttribute('aria-busy')`)
		rows = p.activityRows()
		if len(rows) == 0 {
			t.Fatalf("no log-in of the admin from %s to %s; page text:\n%s", from, to, p.text())
		}
		fromTime, _ := time.ParseInLocation(time.DateOnly, from, zone)
		toTime, _ := time.ParseInLocation(time.DateOnly, to, zone)
		checkActivityRows(t, rows, adminID, "login", fromTime, toTime.AddDate(0, 0, 1))

		// An end before the start is the server's to reject; the page shows
		// the field message.
		p.do("set the dates", chromedp.SetValue(chromedp.ID("activity-from"), today), chromedp.SetValue(chromedp.ID("activity-to"), from))
		p.click("#activity-apply")
		p.waitUntil("the range error shows", `!document.getElementById('page-error').hidden`)
		if got := evaluate[string](p, `document.getElementById('page-error').innerText`); !strings.Contains(got, "End Date: must not be before from") {
			t.Errorf("range error = %q, want the field message of to", got)
		}

		// Without filters, the log pages with next_cursor.
		p.click("#activity-clear")
		p.waitUntil("the unfiltered log loads", `document.getElementById('filter-toggle-label').textContent === 'Filter' && document.querySelectorAll('#activity-body tr[data-id]').length === 25`)
		first := p.activityRows()
		p.click("#activity-next")
		p.waitUntil("page 2 of the log loads", `document.getElementById('activity-status').textContent.startsWith('Page 2')`)
		second := p.activityRows()
		if len(second) == 0 || second[0].OccurredAt > first[len(first)-1].OccurredAt {
			t.Errorf("page 2 starts at %v, want entries older than page 1's last", second)
		}
		p.press(kb.Escape)
	})

	browserStep(t, "narrow layout", func(t *testing.T) {
		p.t = t
		p.do("narrow the viewport", chromedp.EmulateViewport(390, 844))
		p.click("#tab-users")
		p.waitUsersLoaded("the Users table shows")
		overflow := `document.documentElement.scrollWidth - document.documentElement.clientWidth`
		if got := evaluate[int](p, overflow); got > 0 {
			t.Errorf("the Users tab is %dpx wider than a 390px viewport", got)
		}
		ben := p.userRow(editedEmail)
		p.click(`[data-menu-for="` + ben.ID + `"]`)
		inside := evaluate[bool](p, `(() => { const r = document.getElementById('row-menu-`+ben.ID+`').getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth; })()`)
		if !inside {
			t.Error("the row menu leaves the 390px viewport")
		}
		p.press(kb.Escape)
		p.click("#tab-activity")
		p.waitActivityLoaded("the Activity table shows")
		if got := evaluate[int](p, overflow); got > 0 {
			t.Errorf("the Activity tab is %dpx wider than a 390px viewport", got)
		}
		p.do("restore the viewport", chromedp.EmulateViewport(1280, 900))
	})

	browserStep(t, "sign out", func(t *testing.T) {
		p.t = t
		p.click("#sign-out")
		p.waitUntil("the sign-in form shows", `!document.getElementById('sign-in').hidden`)
		if token := evaluate[string](p, `sessionStorage.getItem('roster.token') || ''`); token != "" {
			t.Error("the token stays in sessionStorage after sign-out")
		}
	})

	p.t = t
	if problems := p.consoleProblems(); len(problems) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(problems, "\n"))
	}
}

// checkActivityRows checks that every row is of type typ, by the user
// userID, shown with a name and email address, and occurred in
// [from, until).
func checkActivityRows(t *testing.T, rows []activityRow, userID, typ string, from, until time.Time) {
	t.Helper()
	for _, r := range rows {
		if r.Type != typ {
			t.Errorf("row %+v has the type %s, want %s", r, r.Type, typ)
		}
		if r.UserID != userID || !strings.Contains(r.User, "@") || strings.Contains(r.User, userID) {
			t.Errorf("row %+v is not by the user %s shown by name and email address", r, userID)
		}
		at, err := time.Parse(time.RFC3339Nano, r.OccurredAt)
		if err != nil {
			t.Errorf("row %+v has a malformed time: %v", r, err)
			continue
		}
		if at.Before(from) || !at.Before(until) {
			t.Errorf("row at %s is outside [%s, %s)", at, from, until)
		}
		// The page formats times in the viewer's zone, America/New_York.
		if !strings.Contains(r.When, "EST") && !strings.Contains(r.When, "EDT") {
			t.Errorf("row time %q is not shown in the browser's zone", r.When)
		}
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
