"""report.html of the shipped cases in a real browser (headless Chromium).

Chromium is driven through the DevTools protocol over
``--remote-debugging-pipe`` (JSON messages ending in NUL on file
descriptors 3 and 4), so no package beyond the standard library is needed.
The test checks that loading the page makes no request that leaves the
machine (every request is file:, data: or about:), that every figure and
every MathML formula is laid out with a non-zero size, and that every link of the case list lands on
a case section. A screenshot of the page is kept as
``reports/shipped-report.png`` (git-ignored), a test artefact.

Chromium comes from Debian's ``chromium`` package (``.ci/run`` installs it).
Without it the test is skipped, except under CI (``CI=true``), where it fails.
"""
from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")
TIMEOUT = 60.0


def _browser():
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("Chromium is required under CI for the browser test: "
                    "apt-get install -y chromium")
    pytest.skip("Chromium is not installed (Debian: apt-get install -y chromium); "
                "the browser test needs it and runs under CI")


class DevTools:
    """A minimal DevTools-protocol client over --remote-debugging-pipe."""

    def __init__(self, executable, profile):
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def plumb():  # in the child, before exec: its fd 3 reads commands, fd 4 writes replies
            high_in = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            high_out = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        self.process = subprocess.Popen(
            [executable, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-default-apps", "--disable-extensions", "--no-first-run",
             "--no-default-browser-check", "--metrics-recording-only", "--mute-audio",
             "--hide-scrollbars", f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=plumb)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next = 0
        self.events = []

    def _read(self, deadline):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, session=None):
        self._next += 1
        message = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method, session=None):
        deadline = time.monotonic() + TIMEOUT
        for event in self.events:
            if event.get("method") == method and event.get("sessionId") == session:
                return event
        while True:
            event = self._read(deadline)
            self.events.append(event)
            if event.get("method") == method and event.get("sessionId") == session:
                return event

    def close(self):
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass


INSPECT = """(() => {
  document.querySelectorAll('details').forEach(d => d.open = true);
  const size = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
  const figures = [...document.querySelectorAll('figure svg')].map(size);
  const maths = [...document.querySelectorAll('.math math')].map(size);
  // laid out as MathML, not as unknown inline tags: the math display type, and
  // every fraction's numerator above its denominator
  const mathDisplays = [...new Set([...document.querySelectorAll('.math math')]
                                   .map(m => getComputedStyle(m).display))];
  const fractions = [...document.querySelectorAll('.math mfrac')].map(f =>
      f.children[0].getBoundingClientRect().bottom <= f.children[1].getBoundingClientRect().top + 0.5);
  const links = [...document.querySelectorAll('nav a[href^="#"]')].map(a => a.getAttribute('href').slice(1));
  const missing = links.filter(id => !document.getElementById(id) ||
                                     !document.getElementById(id).matches('section.case'));
  let landed = null;
  if (links.length) { location.hash = '#' + links[0]; const t = document.querySelector(':target'); landed = t && t.id; }
  const sections = document.querySelectorAll('section.case').length;
  const scripts = document.querySelectorAll('script').length;
  return JSON.stringify({figures, maths, mathDisplays, fractions, links, missing, landed,
                         sections, scripts});
})()"""


@pytest.fixture(scope="module")
def shipped_report(shipped_run):
    out = shipped_run.out
    assert (out / "report.html").exists(), shipped_run.stdout[-2000:] + shipped_run.stderr[-2000:]
    return out


def test_report_loads_offline_with_every_figure_and_link(shipped_report, tmp_path):
    executable = _browser()
    page = (shipped_report / "report.html").resolve()
    browser = DevTools(executable, tmp_path / "profile")
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget",
                               {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Network.enable", "Page.enable", "Runtime.enable"):
            browser.send(method, session=session)
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                     session=session)
        browser.send("Page.navigate", {"url": page.as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired", session=session)
        found = json.loads(browser.send("Runtime.evaluate",
                                        {"expression": INSPECT, "returnByValue": True},
                                        session=session)["result"]["value"])
        metrics = browser.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
        shot = browser.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": metrics["width"],
                     "height": min(metrics["height"], 16000), "scale": 1}}, session=session)
    finally:
        browser.close()
    requests = [e["params"]["request"]["url"] for e in browser.events
                if e.get("method") == "Network.requestWillBeSent"]
    assert requests, "the DevTools log saw no request at all (the page did not load)"
    leaving = [url for url in requests if not url.startswith(LOCAL_SCHEMES)]
    assert leaving == [], f"requests leaving the machine: {leaving}"
    assert found["scripts"] == 0
    plots = sorted((shipped_report / "plots").glob("*.svg"))
    assert plots, "the shipped cases draw at least the error curves"
    assert len(found["figures"]) >= len(plots)
    assert all(w > 50 and h > 50 for w, h in found["figures"]), found["figures"]
    assert found["maths"] and all(w > 0 and h > 0 for w, h in found["maths"])
    assert found["mathDisplays"] == ["math"], found["mathDisplays"]
    assert found["fractions"] and all(found["fractions"])
    assert found["links"] and found["missing"] == []
    assert len(found["links"]) == found["sections"]
    assert found["landed"] == found["links"][0]
    artefacts = ROOT / "reports"
    artefacts.mkdir(exist_ok=True)
    (artefacts / "shipped-report.png").write_bytes(base64.b64decode(shot["data"]))
    assert (artefacts / "shipped-report.png").stat().st_size > 10_000


def test_report_has_no_reference_to_the_network(shipped_report):
    text = (shipped_report / "report.html").read_text()
    lowered = text.lower()
    assert "<script" not in lowered
    assert "@import" not in lowered and "url(http" not in lowered
    for attribute in ("src=", "href="):
        for quote in ("'", '"'):
            for scheme in ("http:", "https:", "//"):
                assert f"{attribute}{quote}{scheme}" not in lowered
