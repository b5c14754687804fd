package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

const (
	// testTimeout bounds a whole test: browser, clicks and waits.
	testTimeout = 90 * time.Second
	// waitTimeout bounds one wait, so a failure names the step that hung
	// rather than the test's deadline.
	waitTimeout = 20 * time.Second
	// keepShots is how many step screenshots are kept for a failure.
	keepShots = 12
)

// stepShots keeps a screenshot of the end of every step for the
// post-mortem when E2E_STEP_SHOTS is set. A screenshot costs Chromium
// about 0.3 CPU-seconds (a 1280×900 frame encoded as PNG, then base64 over
// the protocol), some 30 CPU-seconds over the suite's steps on a passing
// run, so by default only the failure is photographed; set it to see the
// steps that led there.
var stepShots = os.Getenv("E2E_STEP_SHOTS") != ""

// browser is one person's Chromium (a fresh profile) on one shop. Its
// helpers fail the test with the step, the URL and a screenshot trail.
type browser struct {
	t    *testing.T
	who  string // "customer", "owner"… when a test has several people
	shop *shop
	tab  context.Context // the tab, without a deadline (for the post-mortem)
	ctx  context.Context // the tab with the test's deadline

	step  string // the step in progress, for messages and screenshots
	steps int
	shots []shot

	downloadDir string
	frame       cdp.FrameID // the tab's main frame: its downloads are ours
	start       time.Time

	mu        sync.Mutex
	downloads map[string]*download // by GUID
	console   []string
	dialogs   []string
}

type shot struct {
	name string
	png  []byte
}

type download struct {
	name, url, path string
	done, canceled  bool
}

// newBrowser opens a fresh profile (a browser context of its own: no
// cookies, storage, cache or service worker shared with any other) in the
// run's one Chromium.
func newBrowser(t *testing.T, s *shop) *browser {
	t.Helper()
	return newBrowserFor(t, s, "")
}

// chromium is the run's one headless Chromium, started by the first test
// that needs a browser and stopped by TestMain. Each browser is a browser
// context in it, as isolated as a fresh profile: starting a Chromium per
// browser cost about two CPU-seconds each, a fifth of the suite's CPU.
var chromium struct {
	once    sync.Once
	ctx     context.Context // the browser's first tab, which keeps it open
	stop    func()
	profile string
	err     error
}

// sharedChromium starts the run's Chromium once. The flags keep it off the
// network: without them Chromium phones home (updates, sync, QUIC probes)
// and this machine refuses those connections.
func sharedChromium() (context.Context, error) {
	chromium.once.Do(func() {
		chromium.profile, chromium.err = os.MkdirTemp("", "vendo-e2e-chromium-")
		if chromium.err != nil {
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(chromePath),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("disable-extensions", true),
			chromedp.Flag("disable-default-apps", true),
			chromedp.Flag("disable-breakpad", true),
			chromedp.Flag("password-store", "basic"),
			chromedp.WindowSize(1280, 900),
			chromedp.UserDataDir(chromium.profile),
		}
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		first, cancelFirst := chromedp.NewContext(actx)
		chromium.ctx = first
		chromium.stop = func() {
			cancelFirst()
			cancelAlloc()
			os.RemoveAll(chromium.profile)
		}
		chromium.err = chromedp.Do(first) // starts the browser, with no deadline
	})
	return chromium.ctx, chromium.err
}

// stopChromium ends the run's Chromium, if a test started it.
func stopChromium() {
	if chromium.stop != nil {
		chromium.stop()
	}
}

// newBrowserFor is newBrowser for one of several people in a test; their
// steps and screenshots carry the name.
func newBrowserFor(t *testing.T, s *shop, who string) *browser {
	t.Helper()
	needBrowser(t)
	b := &browser{t: t, who: who, shop: s, start: time.Now(), downloadDir: t.TempDir(), downloads: map[string]*download{}}
	root, err := sharedChromium()
	if err != nil {
		t.Fatalf("start Chromium (%s): %v", chromePath, err)
	}
	tab, cancelTab := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900)); err != nil { // the window a fresh Chromium had
		cancelTab()
		t.Fatalf("open a browser context in Chromium: %v", err)
	}
	c := chromedp.FromContext(tab)
	b.frame = cdp.FrameID(c.Target.TargetID) // a tab's main frame has its target's id
	ctx, cancel := context.WithDeadline(tab, testDeadline(t))
	b.tab, b.ctx = tab, ctx
	t.Cleanup(func() {
		b.postMortem()
		cancel()
		cancelTab() // closes the tab and disposes of its browser context
	})

	// Downloads go to a temp dir, named by GUID; the events say when one
	// is complete.
	if err := chromedp.ListenBrowser(tab, b.onBrowserEvent); err != nil {
		t.Fatal(err)
	}
	events := true
	if _, err := chromedp.CallBrowser(tab, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: b.downloadDir, EventsEnabled: &events,
		BrowserContextID: c.BrowserContextID,
	}); err != nil {
		t.Fatal(err)
	}

	// The console (exceptions, CSP reports, failed requests) is logged on
	// failure; confirm() dialogs are accepted, as a person clicking OK.
	go func() {
		for m, err := range chromedp.Console(tab) {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, fmt.Sprintf("%s %s:%d %s", m.Type, m.URL, m.Line+1, m.Text))
			b.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range chromedp.Events(tab, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, ev.Message)
			b.mu.Unlock()
			chromedp.Call(tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return b
}

var deadlines sync.Map // *testing.T → time.Time

// testDeadline is when the test's time is up: testTimeout after its first
// browser started, shared by all its browsers.
func testDeadline(t *testing.T) time.Time {
	d, loaded := deadlines.LoadOrStore(t, time.Now().Add(testTimeout))
	if !loaded {
		t.Cleanup(func() { deadlines.Delete(t) })
	}
	return d.(time.Time)
}

func (b *browser) onBrowserEvent(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *cdpbrowser.EventDownloadWillBegin:
		if ev.FrameID != b.frame {
			return // another browser's, in the shared Chromium
		}
		b.downloads[ev.GUID] = &download{name: ev.SuggestedFilename, url: ev.URL, path: filepath.Join(b.downloadDir, ev.GUID)}
	case *cdpbrowser.EventDownloadProgress:
		if d := b.downloads[ev.GUID]; d != nil {
			switch ev.State {
			case cdpbrowser.DownloadProgressStateCompleted:
				d.done = true
				if ev.FilePath != "" {
					d.path = ev.FilePath
				}
			case cdpbrowser.DownloadProgressStateCanceled:
				d.canceled = true
			}
		}
	}
}

// Step runs one step a person would name ("add to cart"), then, with
// E2E_STEP_SHOTS set, keeps a screenshot of where it ended.
func (b *browser) Step(name string, fn func()) {
	b.t.Helper()
	b.steps++
	b.step = fmt.Sprintf("%02d-%s", b.steps, name)
	at := time.Since(b.start).Round(10 * time.Millisecond)
	if b.who != "" {
		b.t.Logf("%6s step %s (%s)", at, b.step, b.who)
	} else {
		b.t.Logf("%6s step %s", at, b.step)
	}
	fn()
	b.snap(b.step)
}

// snap keeps a screenshot for the post-mortem's trail, with
// E2E_STEP_SHOTS set.
func (b *browser) snap(name string) {
	if stepShots {
		b.shoot(name)
	}
}

// shoot keeps a screenshot of the tab under name, the last keepShots.
func (b *browser) shoot(name string) {
	ctx, cancel := context.WithTimeout(b.tab, 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return
	}
	b.shots = append(b.shots, shot{name, png})
	if len(b.shots) > keepShots {
		b.shots = b.shots[len(b.shots)-keepShots:]
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// postMortem writes the kept screenshots (the steps', with
// E2E_STEP_SHOTS set), one of the failure, the page's
// URL and text, and the console to help whoever reads a failed run. With
// E2E_SHOW_LOGS=1 a passing test logs its console too.
func (b *browser) postMortem() {
	if !b.t.Failed() {
		if os.Getenv("E2E_SHOW_LOGS") != "" {
			b.t.Logf("browser console%s:\n%s", map[bool]string{true: " of the " + b.who}[b.who != ""], strings.Join(b.Console(), "\n"))
		}
		return
	}
	b.shoot(b.step + "-FAILED")
	dir := filepath.Join("screenshots", unsafeName.ReplaceAllString(b.t.Name(), "_"), b.who)
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err == nil {
		for _, s := range b.shots {
			os.WriteFile(filepath.Join(dir, unsafeName.ReplaceAllString(s.name, "_")+".png"), s.png, 0o644)
		}
		abs, _ := filepath.Abs(dir)
		what := "screenshots of the last steps"
		if !stepShots {
			what = "the failure's screenshot (E2E_STEP_SHOTS=1 keeps the steps' too)"
		}
		b.t.Logf("%s%s: %s", what, map[bool]string{true: " of the " + b.who}[b.who != ""], abs)
	}
	ctx, cancel := context.WithTimeout(b.tab, 5*time.Second)
	defer cancel()
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		b.t.Logf("the browser%s was at %s", map[bool]string{true: " of the " + b.who}[b.who != ""], loc)
	}
	if text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)); err == nil {
		b.t.Logf("page text:\n%.2000s", text)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.console) > 0 {
		b.t.Logf("browser console:\n%s", strings.Join(b.console, "\n"))
	}
	if len(b.dialogs) > 0 {
		b.t.Logf("dialogs accepted:\n%s", strings.Join(b.dialogs, "\n"))
	}
}

// fail ends the test with what it was doing and where the browser was.
func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	if errors.Is(b.ctx.Err(), context.DeadlineExceeded) {
		msg += fmt.Sprintf(" (the test's %s were up)", testTimeout)
	}
	who := ""
	if b.who != "" {
		who = " (" + b.who + ")"
	}
	b.t.Fatalf("step %s%s: %s (at %s)", b.step, who, msg, b.location())
}

func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.tab, 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return loc
}

// run runs one action with a wait deadline and fails the test on error.
func run[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fail("%s: %v", what, err)
	}
	return v
}

// do runs actions with a wait deadline and fails the test on error. A
// node that vanished between the lookup and the action (the page was
// still settling after a load or an htmx swap) is looked up again.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	for {
		err := chromedp.Do(ctx, actions...)
		if err == nil {
			return
		}
		if ctx.Err() != nil || !staleNode(err) {
			b.fail("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// staleNode reports errors of a DOM that changed under the action.
func staleNode(err error) bool {
	msg := err.Error()
	for _, s := range []string{
		"Could not find node with given id",
		"Node with given id does not belong to the document",
		"Cannot find context with specified id",
		"No node with given id found",
		"Execution context was destroyed",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// Open loads a page of the shop by its path (or a full URL) and waits for
// it to load.
func (b *browser) Open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.shop.url(path)))
}

// Reload reloads the page.
func (b *browser) Reload() {
	b.t.Helper()
	b.do("reload", chromedp.Reload())
}

// Click clicks (with the mouse) the first visible element matching the
// CSS selector, waiting for it to appear.
func (b *browser) Click(css string) {
	b.t.Helper()
	b.do("click "+css, chromedp.Click(chromedp.CSS(css)))
}

// Press clicks the button or link a person would name by its text, like
// "Add to cart". A trailing "…" matches text that starts with the rest.
func (b *browser) Press(text string) {
	b.t.Helper()
	b.do(fmt.Sprintf("press %q", text), chromedp.Click(chromedp.JSPath(firstVisible(textXPath(text, "button", "a")))))
}

// firstVisible finds the first element an XPath matches that is shown: a
// link can be on the page twice, in the header and in the phone menu, and
// a person presses the one they see.
func firstVisible(xpath string) string {
	return fmt.Sprintf(`(() => { const r = document.evaluate(%q, document, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
  for (let i = 0; i < r.snapshotLength; i++) { const e = r.snapshotItem(i); if (e.checkVisibility({visibilityProperty: true})) return e; }
  return null; })()`, xpath)
}

// PressIn clicks the first button or link inside the element matching
// css whose text contains text (a product card's link holds its title,
// summary and price).
func (b *browser) PressIn(css, text string) {
	b.t.Helper()
	b.do(fmt.Sprintf("press %q in %s", text, css), chromedp.Click(chromedp.JSPath(textJS(css, text))))
}

// ClickJS clicks (with the mouse) the element a JavaScript expression
// finds, for an element a person picks by its surroundings ("the Switch
// button next to Team").
func (b *browser) ClickJS(what, js string) {
	b.t.Helper()
	b.do("click "+what, chromedp.Click(chromedp.JSPath(js)))
}

// textXPath finds elements of the given tags by their visible text.
func textXPath(text string, tags ...string) string {
	var self []string
	for _, t := range tags {
		self = append(self, "self::"+t)
	}
	match := fmt.Sprintf("normalize-space(.)=%s", xpathString(text))
	if prefix, ok := strings.CutSuffix(text, "…"); ok {
		match = fmt.Sprintf("starts-with(normalize-space(.), %s)", xpathString(prefix))
	}
	return fmt.Sprintf("//*[(%s) and %s]", strings.Join(self, " or "), match)
}

// textJS finds a button or link by the text it contains, inside a
// container.
func textJS(css, text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%q)].flatMap(c => [...c.querySelectorAll("button, a")]).find(e => e.textContent.replace(/\s+/g, " ").includes(%q))`, css, text)
}

func xpathString(s string) string {
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + s + "'"
}

// Type types text into a field with real key events, as a person does.
func (b *browser) Type(css, text string) {
	b.t.Helper()
	b.do(fmt.Sprintf("type %q into %s", text, css), chromedp.SendKeys(chromedp.CSS(css), text))
}

// Retype selects a field's content and types over it, then leaves the
// field with Tab (which fires its change event).
func (b *browser) Retype(css, text string) {
	b.t.Helper()
	b.do(fmt.Sprintf("retype %q into %s", text, css),
		chromedp.WaitVisible(chromedp.CSS(css)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).select()`, css)),
		chromedp.SendKeys(chromedp.CSS(css), text+kb.Tab))
}

// Fill types into a labelled form field; the field is cleared first.
func (b *browser) Fill(css, text string) {
	b.t.Helper()
	b.do(fmt.Sprintf("fill %s", css), chromedp.Clear(chromedp.CSS(css)), chromedp.SendKeys(chromedp.CSS(css), text))
}

// WaitVisible waits for an element to be visible.
func (b *browser) WaitVisible(css string) {
	b.t.Helper()
	b.do("wait for "+css, chromedp.WaitVisible(chromedp.CSS(css)))
}

// Text is the visible text of the first element matching css.
func (b *browser) Text(css string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, "read "+css, chromedp.Text(chromedp.CSS(css))))
}

// Eval evaluates a JavaScript expression in the page.
func evalJS[T any](b *browser, js string) T {
	b.t.Helper()
	return run(b, "evaluate "+js, chromedp.Evaluate[T](js))
}

// Until polls a JavaScript condition until it holds. It survives page
// loads (a condition that throws while the next page loads is false).
func (b *browser) Until(what, js string) {
	b.t.Helper()
	b.until(what, js, false)
}

// ReloadUntil reloads the page until a condition holds: for pages that
// change when a webhook arrives.
func (b *browser) ReloadUntil(what, js string) {
	b.t.Helper()
	b.until(what, js, true)
}

func (b *browser) until(what, js string, reload bool) {
	b.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	if reload {
		deadline = time.Now().Add(40 * time.Second)
	}
	expr := fmt.Sprintf(`(() => { try { return !!(%s); } catch (e) { return false; } })()`, js)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || b.ctx.Err() != nil {
			b.fail("waited for %s", what)
		}
		if reload {
			time.Sleep(400 * time.Millisecond)
			ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
			chromedp.Do(ctx, chromedp.Reload())
			cancel()
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// WaitPath waits until the page's path (and query) matches re.
func (b *browser) WaitPath(re string) string {
	b.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(waitTimeout)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		p, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState === "loading" ? "" : location.pathname + location.search`))
		cancel()
		if err == nil && rx.MatchString(p) {
			return p
		}
		if time.Now().After(deadline) || b.ctx.Err() != nil {
			b.fail("waited for a page at %s", re)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Path is the current page's path and query.
func (b *browser) Path() string {
	b.t.Helper()
	return evalJS[string](b, `location.pathname + location.search`)
}

// MustSee fails unless the page's visible text contains every want.
func (b *browser) MustSee(wants ...string) {
	b.t.Helper()
	text := evalJS[string](b, `document.body.innerText`)
	for _, w := range wants {
		if !strings.Contains(text, w) {
			b.fail("the page does not show %q; it shows:\n%.1500s", w, text)
		}
	}
}

// Sees waits until the page's visible text contains want.
func (b *browser) Sees(want string) {
	b.t.Helper()
	b.Until(fmt.Sprintf("the page to show %q", want), fmt.Sprintf(`document.body.innerText.includes(%q)`, want))
}

// Download clicks a download link and waits for the browser to save the
// file; it returns the file's path and the name the server suggested.
func (b *browser) Download(css string) (path, name string) {
	b.t.Helper()
	b.mu.Lock()
	seen := map[string]bool{}
	for id := range b.downloads {
		seen[id] = true
	}
	b.mu.Unlock()
	b.Click(css)
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		for id, d := range b.downloads {
			if seen[id] {
				continue
			}
			if d.canceled {
				b.mu.Unlock()
				b.fail("the download of %s was canceled", d.url)
			}
			if d.done {
				b.mu.Unlock()
				return d.path, d.name
			}
		}
		b.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	b.fail("no download finished after clicking %s", css)
	return "", ""
}

// Console returns the console messages seen so far.
func (b *browser) Console() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// NoCSPViolations fails when the page broke the Content-Security-Policy
// (an inline script or style the shop forbids itself would silently not
// run for customers).
func (b *browser) NoCSPViolations() {
	b.t.Helper()
	for _, m := range b.Console() {
		if strings.Contains(m, "Content Security Policy") {
			b.t.Errorf("a page broke the Content-Security-Policy: %s", m)
		}
	}
}
