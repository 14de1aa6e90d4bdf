"""Headless Debian Chromium through selenium, and what a test does with it.

Every Browser is a fresh Chromium with its own empty profile (its own cookie
jar): two people are two Browsers. Tenant host names (*.test) resolve to the
server on loopback, port included, so pages are opened at the URLs the server
publishes (http://one.test/...) and links in mails work as they are; every
other host name fails to resolve: a test can never reach the internet.

Forms are filled by their labels, as a person (or a screen reader) finds
them: `fill("Password", "…")` fails when no control has that accessible name,
which is also an accessibility check.
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

# Never let selenium-manager look for (or download) a browser or a driver.
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

CHROMIUM = os.environ.get("KERERU_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("KERERU_CHROMEDRIVER", "/usr/bin/chromedriver")

# (name, width, height): the widths every screenshot is taken at.
SCREEN_SIZES = (("phone", 390, 844), ("desktop", 1366, 900))
# Full-page screenshots are cut at this height (CSS pixels).
MAX_SCREENSHOT_HEIGHT = 6000

# Flags Chromium needs here (see the machine notes): headless, no sandbox as
# root, no GPU, and none of its own connections to Google's hosts, which the
# closed network refuses (many at a time) and which tests must not depend on.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-breakpad",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
    "--metrics-recording-only",
    "--password-store=basic",
    "--lang=en-NZ",
    "--hide-scrollbars",
    "--font-render-hinting=none",
)

# The accessible name of each visible form control, and the control, as a
# person finds it: <label> (wrapping or for=), aria-labelledby, aria-label.
_LABELLED_CONTROLS_JS = r"""
const norm = s => (s || '').replace(/\s+/g, ' ').trim();
const out = [];
for (const el of document.querySelectorAll('input, select, textarea')) {
  if (el.type === 'hidden') continue;
  const style = getComputedStyle(el);
  if (style.display === 'none' || style.visibility === 'hidden') continue;
  let name = '';
  if (el.getAttribute('aria-labelledby')) {
    name = el.getAttribute('aria-labelledby').split(/\s+/)
      .map(id => document.getElementById(id)).filter(Boolean).map(n => norm(n.innerText)).join(' ');
  }
  if (!name && el.getAttribute('aria-label')) name = norm(el.getAttribute('aria-label'));
  if (!name && el.labels && el.labels.length) {
    name = Array.from(el.labels).map(l => {
      // the label's own text, without the text of controls inside it
      const copy = l.cloneNode(true);
      copy.querySelectorAll('input, select, textarea, option').forEach(c => c.remove());
      return norm(copy.innerText || copy.textContent);
    }).join(' ');
  }
  out.push([name, el]);
}
return out;
"""


class PageLoadError(AssertionError):
    """The browser could not load a page at all (not an HTTP error: those are pages)."""


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


class Browser:
    """One headless Chromium with a fresh profile: one person's browser."""

    def __init__(self, *, host_rules: str, artifacts: Path, name: str = "browser"):
        self.artifacts = artifacts
        self.name = name
        self.profile = tempfile.TemporaryDirectory(prefix="kereru-chromium.")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile.name}")
        options.add_argument(f"--host-resolver-rules={host_rules}")
        options.add_argument("--window-size=1366,900")
        logs = artifacts / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        # Every browser's chromedriver (and Chromium's own messages) in one file.
        self._log = open(logs / "chromedriver.log", "ab")
        service = Service(executable_path=CHROMEDRIVER, log_output=self._log)
        try:
            self.driver = webdriver.Chrome(options=options, service=service)
        except Exception:
            self._log.close()
            self.profile.cleanup()
            raise
        self.driver.set_page_load_timeout(30)

    def quit(self) -> None:
        try:
            self.driver.quit()
        finally:
            self._log.close()
            self.profile.cleanup()

    # ------------------------------------------------------------- reading

    def open(self, url: str) -> "Browser":
        """Opens `url` (e.g. http://one.test/, or a link from a mail) and waits
        for it to load; raises PageLoadError when the browser could not load it
        at all (a name that does not resolve, a refused connection)."""
        try:
            self.driver.get(url)
        except WebDriverException as e:
            if "net::ERR_" in str(e):
                raise PageLoadError(f"{url}: {str(e).splitlines()[0]}") from None
            raise
        # Chromium sometimes shows its error page instead of reporting the error.
        shown = self.driver.execute_script("return document.documentURI")
        if shown.startswith("chrome-error:"):
            raise PageLoadError(f"{url}: the browser could not load it (its error page is shown)")
        return self

    @property
    def url(self) -> str:
        return self.driver.current_url

    @property
    def title(self) -> str:
        return self.driver.title

    @property
    def text(self) -> str:
        """The page's visible text, whitespace as rendered."""
        return self.driver.find_element("tag name", "body").text

    @property
    def html(self) -> str:
        return self.driver.page_source

    def find(self, css: str) -> WebElement:
        return self.driver.find_element("css selector", css)

    def find_all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements("css selector", css)

    def links(self) -> dict[str, str]:
        """Visible link text -> href, for every link on the page."""
        return {_norm(a.text): a.get_attribute("href") for a in self.find_all("a[href]") if a.text.strip()}

    # --------------------------------------------------------------- forms

    def labelled_controls(self) -> list[tuple[str, WebElement]]:
        """(accessible name, control) for every visible input, select and textarea."""
        return [(name, el) for name, el in self.driver.execute_script(_LABELLED_CONTROLS_JS)]

    def unlabelled_controls(self) -> list[str]:
        """Visible form controls with no accessible name (should be none), as HTML snippets."""
        return [el.get_attribute("outerHTML")[:200] for name, el in self.labelled_controls() if not name]

    def control(self, label: str) -> WebElement:
        """The one visible form control whose accessible name is `label`
        (case and spacing ignored; a trailing '*' or ':' too)."""
        def key(s: str) -> str:
            return _norm(s).rstrip("*: ").casefold()
        controls = self.labelled_controls()
        found = [el for name, el in controls if key(name) == key(label)]
        assert found, (f"no form control labelled {label!r} on {self.url}; "
                       f"the labels are: {[name for name, _ in controls]}")
        assert len(found) == 1, f"{len(found)} form controls are labelled {label!r} on {self.url}"
        return found[0]

    def fill(self, label: str, value: str | bool) -> "Browser":
        """Types `value` into the control labelled `label` (replacing its
        content); a checkbox is set to `value` (a bool), a select picks the
        option with that visible text, a file input gets that path."""
        el = self.control(label)
        kind = (el.get_attribute("type") or "").lower()
        if el.tag_name == "select":
            Select(el).select_by_visible_text(str(value))
        elif kind in ("checkbox", "radio"):
            if bool(value) != el.is_selected():
                el.click()
        elif kind == "file":
            el.send_keys(str(value))
        else:
            el.clear()
            el.send_keys(str(value))
        return self

    def fill_form(self, values: dict[str, str | bool]) -> "Browser":
        for label, value in values.items():
            self.fill(label, value)
        return self

    def button(self, text: str) -> WebElement:
        """The one visible button (or submit input) whose text or accessible name is `text`."""
        want = _norm(text).casefold()
        found = []
        for el in self.find_all("button, input[type=submit], input[type=button], [role=button]"):
            if not el.is_displayed():
                continue
            names = {_norm(el.text), _norm(el.get_attribute("value") or ""), _norm(el.get_attribute("aria-label") or "")}
            if want in {n.casefold() for n in names if n}:
                found.append(el)
        assert found, f"no button {text!r} on {self.url}; the buttons are: {self.button_names()}"
        assert len(found) == 1, f"{len(found)} buttons {text!r} on {self.url}"
        return found[0]

    def button_names(self) -> list[str]:
        return [_norm(el.text or el.get_attribute("value") or el.get_attribute("aria-label") or "")
                for el in self.find_all("button, input[type=submit], input[type=button], [role=button]")
                if el.is_displayed()]

    def click(self, text: str, *, navigates: bool = True, timeout: float = 30) -> "Browser":
        """Clicks the button or link named `text` (a link's text may also just
        contain it, if only one link's does); with `navigates`, waits for the next page."""
        try:
            target = self.button(text)
        except AssertionError:
            target = self.link(text)
        return self._click_and_wait(target, navigates, timeout)

    def link(self, text: str) -> WebElement:
        """The visible link whose text is `text`, else the link whose text
        contains it; fails when none is, or when such links lead to different places."""
        want = _norm(text).casefold()
        shown = [a for a in self.find_all("a[href]") if a.is_displayed()]
        found = ([a for a in shown if _norm(a.text).casefold() == want]
                 or [a for a in shown if want in _norm(a.text).casefold()])
        assert found, f"no link {text!r} on {self.url}; the links are: {list(self.links())}"
        places = {a.get_attribute("href") for a in found}
        assert len(places) == 1, f"links {text!r} on {self.url} lead to different places: {sorted(places)}"
        return found[0]

    def has_link(self, text: str) -> bool:
        """Whether a visible link's text is, or contains, `text`."""
        want = _norm(text).casefold()
        return any(want in _norm(a.text).casefold() for a in self.find_all("a[href]") if a.is_displayed())

    def submit(self, button: str, *, navigates: bool = True, timeout: float = 30) -> "Browser":
        """Submits a form by clicking its button named `button`, as a person does
        (the browser's own validation runs); waits for the next page."""
        return self._click_and_wait(self.button(button), navigates, timeout)

    def _click_and_wait(self, el: WebElement, navigates: bool, timeout: float) -> "Browser":
        old = self.driver.find_element("tag name", "html")
        # A mark on this page's window: a new document has a new window without it.
        # (Its old <html> going stale is the other sign; on a form whose answer
        # comes back to the same URL, Chromium has been seen to miss that one.)
        self.driver.execute_script("window.__kereruBeforeClick = true;")
        el.click()
        if navigates:
            def left(driver) -> bool:
                try:
                    old.is_enabled()
                except (StaleElementReferenceException, NoSuchElementException):
                    # Chromium answers either for an element of a page that is gone
                    # (WebDriverWait would silently retry on the second, till timeout).
                    return True
                except WebDriverException:
                    # Chromium has a third answer mid-navigation ("Node with given id
                    # does not belong to the document"); the window's mark decides.
                    pass
                try:
                    return driver.execute_script("return window.__kereruBeforeClick !== true;")
                except WebDriverException:
                    return False
            try:
                WebDriverWait(self.driver, timeout).until(left)
            except WebDriverException as e:
                raise AssertionError(f"clicking did not lead to another page within {timeout:.0f}s "
                                     f"(still {self.url}; a required field left empty?)") from e
            WebDriverWait(self.driver, timeout).until(
                lambda d: d.execute_script("return document.readyState") == "complete")
        return self

    # --------------------------------------------------------- screenshots

    def screenshot(self, name: str) -> list[Path]:
        """Saves the whole page as screenshots/NAME-phone.png (390 wide) and
        NAME-desktop.png (1366 wide); returns their paths."""
        assert re.fullmatch(r"[A-Za-z0-9._-]+", name), f"screenshot name {name!r}: use letters, digits, . _ -"
        out = self.artifacts / "screenshots"
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        try:
            for size, width, height in SCREEN_SIZES:
                paths.append(self._capture(out / f"{name}-{size}.png", width, height, mobile=size == "phone"))
        finally:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        return paths

    def _capture(self, path: Path, width: int, height: int, *, mobile: bool) -> Path:
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        time.sleep(0.1)  # one layout at the new size
        full = self.driver.execute_script(
            "return Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)")
        full = max(height, min(int(full), MAX_SCREENSHOT_HEIGHT))
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": full, "scale": 1}})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def save_failure(self, name: str) -> None:
        """The page as it was when a test failed: PNG (current size) and HTML."""
        out = self.artifacts / "failures"
        out.mkdir(parents=True, exist_ok=True)
        try:
            self.driver.save_screenshot(str(out / f"{name}.png"))
            (out / f"{name}.html").write_text(f"<!-- {self.url} -->\n{self.html}")
        except WebDriverException:
            pass
