"""Playwright driving Debian's Chromium against pytest-django's live server.

Without Chromium these tests skip, saying how to install it; under CI=true they
fail instead, so that CI never passes without running them.
"""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the test's thread; the ORM calls the
# tests make around it (factories) are still plain synchronous code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
INSTALL_HINT = (
    "Install Debian's Chromium with `apt-get install chromium` and the test tools with "
    "`.venv/bin/pip install -e '.[dev]'` (never `playwright install`)."
)


def unavailable(reason: str):
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason}: browser tests must run in CI. {INSTALL_HINT}", pytrace=False)
    pytest.skip(f"{reason}. {INSTALL_HINT}")


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        unavailable("Chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("The playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page that records console errors (a CSP violation is one)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.console_errors = []
    page.on(
        "console",
        lambda message: message.type == "error" and page.console_errors.append(message.text),
    )
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    context.close()
