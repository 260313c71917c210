"""Headless Chromium for the map checks (``tests/outputs/test_browser.py``) and the map benchmark
(``bench/map_scale.py``): Debian's chromium and chromedriver driven by Selenium, allowed to reach
127.0.0.1 only, and a local HTTP server for a run folder."""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,900",
    "--enable-precise-memory-info",
    # every host name but 127.0.0.1 fails to resolve, and every non-loopback request goes to a
    # closed local port instead of the internet: nothing leaves the machine
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
]
#: how to get the browser when it is missing
INSTALL_HINT = (
    "install Debian's chromium and chromium-driver "
    "(`make test` does so as root: apt-get install -y chromium chromium-driver)"
)


def browser_paths() -> tuple[str, str] | None:
    """``(chromium, chromedriver)`` on the PATH, or None when either is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


@contextlib.contextmanager
def chromium(
    paths: tuple[str, str], *, probe: str, timeout_s: float, console_log: bool = False
) -> Iterator[object]:
    """A headless Chromium (Selenium) that reaches 127.0.0.1 only, running ``probe`` (JavaScript)
    before any page script; its profile is removed when it quits."""
    from selenium import webdriver

    binary, driver_path = paths
    profile = tempfile.mkdtemp(prefix="geoalloc-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    if console_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(
        options=options, service=webdriver.ChromeService(executable_path=driver_path)
    )
    try:
        browser.set_page_load_timeout(timeout_s)
        browser.set_script_timeout(timeout_s)
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": probe})
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (the only host the browser may reach); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
