"""Browser-test fixtures: the app served on a real port, and headless Debian Chromium via Playwright.

Chromium resolves every `*.localhost` name to the loopback address, so `springfield.localhost:PORT`
reaches the live server with the right Host header, exactly as in the demo.
Screenshots go to artifacts/screenshots/ (kept by CI as the tests' artifacts).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, host: str = "localhost", path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def live_server(app):
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A phone-sized page (390×844, touch)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def settled(page) -> None:
    """Wait until the page a click navigated to has loaded.

    Playwright's click returns once a navigation has started, not finished: reading the page at
    that moment can see an empty new document (a flake CI once caught).
    """
    page.wait_for_load_state("load")


def says(page, text: str) -> None:
    """Assert the page shows `text`, waiting (up to Playwright's timeout) for it to arrive."""
    from playwright.sync_api import expect

    settled(page)
    expect(page.locator("body")).to_contain_text(text)


def screenshot(page, name: str) -> Path:
    settled(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """Run axe-core (from node_modules, installed by npm ci) on the page; return the serious ones."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (make install does)")
    settled(page)
    # Evaluated through the DevTools protocol rather than added as a <script>: the app's CSP
    # (script-src 'self') rightly refuses inline scripts, and the audit must not need it loosened.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = [v for v in result["violations"] if v.get("impact") in impacts]
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]} for v in found]


def assert_accessible(page, label: str) -> None:
    problems = axe_violations(page)
    assert not problems, f"axe found serious problems on {label}: {json.dumps(problems, indent=1)}"
