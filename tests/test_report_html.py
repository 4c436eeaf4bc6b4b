"""The HTML report in a real browser: headless Chromium loads a report of examples/shop (with the
equivalence check), the DOM has what a reader needs, and the page requests nothing but itself.

Chromium is Debian's `chromium` package (.ci/run installs it when it is missing)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from ing2gw.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "shop"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html") / "report.html"
    assert main(["convert", "-f", str(EXAMPLE), "--verify", "--report", str(out)]) == 0
    return out


class _DOM(HTMLParser):
    """Elements of the dumped DOM: (tag, attributes, text inside)."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str], list[str]]] = []
        self._open: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}, []))
        if tag not in ("meta", "br", "link", "img", "input"):
            self._open.append(len(self.elements) - 1)

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            i = self._open.pop()
            if self.elements[i][0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for i in self._open:
            self.elements[i][2].append(data)

    def find(self, tag: str | None = None, **attrs: str) -> list[tuple[str, dict[str, str], str]]:
        out = []
        for t, a, text in self.elements:
            if tag is not None and t != tag:
                continue
            if all((a.get(k.rstrip("_")) or "").split() and v in (a.get(k.rstrip("_")) or "").split()
                   if k.rstrip("_") == "class" else a.get(k.rstrip("_")) == v for k, v in attrs.items()):
                out.append((t, a, " ".join("".join(text).split())))
        return out


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=120)


def test_dom(report_html: Path, tmp_path: Path) -> None:
    r = _chromium("--dump-dom", report_html.as_uri(), profile=tmp_path / "profile")
    assert r.returncode == 0, r.stderr[-2000:]
    dom = _DOM()
    dom.feed(r.stdout)
    assert dom.find("title")[0][2] == f"ing2gw convert: {EXAMPLE}"
    assert dom.find(id="total-ingresses")[0][2] == "3"
    assert dom.find(id="total-errors")[0][2] == "0"
    assert dom.find(id="total-unexplained")[0][2] == "0"
    rows = dom.find("tr", class_="ingress-row")
    assert [a["data-ingress"] for _, a, _ in rows] == ["backoffice/admin", "shop/api", "shop/storefront"]
    # the totals chart: one bar per total, segments sized by their share
    chart = dom.find(id="totals-chart")
    assert chart and chart[0][1]["role"] == "img" and "Probes:" in chart[0][1]["aria-label"]
    bars = [a["data-bar"] for _, a, _ in dom.find("div", class_="bar-row")]
    assert bars == ["findings", "annotations", "probes"]
    segs = dom.find("div", class_="seg")
    assert segs and all(re.fullmatch(r"width: [0-9.]+%", a["style"]) for _, a, _ in segs)
    equivalent = [text for _, a, text in segs if "equivalent" in a["class"].split()]
    assert equivalent and int(equivalent[0]) > 0
    # one section per Ingress, and the equivalence check
    assert len(dom.find("details", class_="ingress")) == 3
    assert "0 unexplained" in dom.find("p", id="equivalence")[0][2]


def _static_problems(html: str) -> list[str]:
    problems = []
    for m in re.finditer(r"<(\w+)[^>]*\s(src|href)=\"([^\"]*)\"", html):
        tag, attr, url = m.groups()
        if tag.lower() != "a" and not url.startswith("#"):
            problems.append(f"<{tag} {attr}={url}>: a resource the page would load")
    for pattern in (r"<script", r"<link", r"@import", r"url\(", r"<img", r"<iframe", r"<object", r"<embed"):
        if re.search(pattern, html, re.I):
            problems.append(f"{pattern}: not self-contained")
    return problems


def test_page_is_self_contained_statically(report_html: Path) -> None:
    html = report_html.read_text()
    assert _static_problems(html) == []
    assert _static_problems('<img src="https://cdn.example/x.png">') and _static_problems("<script>")  # can fail


class _CDP:
    """Chrome DevTools Protocol over --remote-debugging-pipe (fd 3: commands in, fd 4: messages out)."""

    def __init__(self, profile: Path) -> None:
        assert CHROMIUM is not None
        cmd_r, self._cmd_w = os.pipe()
        self._msg_r, msg_w = os.pipe()

        def fds() -> None:
            os.dup2(cmd_r, 3)
            os.dup2(msg_w, 4)

        self.proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
                                      "about:blank"], pass_fds=(3, 4), preexec_fn=fds,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(cmd_r)
        os.close(msg_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read(deadline=time.monotonic() + 60)
            if m.get("id") == self._id:
                assert "error" not in m, m
                result: dict[str, Any] = m.get("result", {})
                return result
            self.events.append(m)

    def wait_for(self, method: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read(deadline))

    def _read(self, deadline: float) -> dict[str, Any]:
        import select

        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._msg_r], [], [], max(left, 0))
            if not ready:
                raise TimeoutError("no message from chromium")
            chunk = os.read(self._msg_r, 65536)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        out: dict[str, Any] = json.loads(raw)
        return out

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (EOFError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._cmd_w)
        os.close(self._msg_r)


def load_page(page: Path, profile: Path) -> dict[str, Any]:
    """Load `page` in headless Chromium: the URLs it requested, the failed ones, console errors,
    and how many Ingress rows the live DOM holds."""
    cdp = _CDP(profile)
    try:
        target = cdp.send("Target.createTarget", url="about:blank")["targetId"]
        session = cdp.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Network.enable", "Page.enable", "Runtime.enable", "Log.enable"):
            cdp.send(domain, session)
        cdp.send("Page.navigate", session, url=page.as_uri())
        cdp.wait_for("Page.loadEventFired")
        rows = cdp.send("Runtime.evaluate", session,
                        expression="document.querySelectorAll('tr.ingress-row').length")["result"]["value"]
    finally:
        cdp.close()
    ev = cdp.events
    return {
        "requested": [e["params"]["request"]["url"] for e in ev if e.get("method") == "Network.requestWillBeSent"],
        "failed": [e["params"].get("errorText") for e in ev if e.get("method") == "Network.loadingFailed"],
        "errors": [e["params"] for e in ev if e.get("method") == "Runtime.exceptionThrown"
                   or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")],
        "rows": rows,
    }


def test_page_loads_with_no_failed_or_external_requests(report_html: Path, tmp_path: Path) -> None:
    got = load_page(report_html, tmp_path / "profile")
    assert got == {"requested": [report_html.as_uri()], "failed": [], "errors": [], "rows": 3}


def test_the_browser_check_notices_a_page_that_loads_resources(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><head><link rel="stylesheet" href="missing.css"></head>'
                    '<body><img src="https://ing2gw.invalid/x.png"></body></html>')
    got = load_page(page, tmp_path / "profile")
    assert len(got["requested"]) == 3 and got["failed"]
