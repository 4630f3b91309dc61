"""A real browser on an Airflow cluster's UI: Debian's chromium driven by Playwright (Playwright's own
browser download cannot be reached here; scripts/test.sh installs the package)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

CHROMIUM = "/usr/bin/chromium"


@contextmanager
def logged_in_page(base_url: str, width: int = 1400, height: int = 1100) -> Iterator:
    """A page logged in to the UI at `base_url` as the local admin (AIRFLOW_ADMIN_PASSWORD)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(base_url + "/")
            page.get_by_label("Username").fill("admin")
            page.get_by_label("Password").fill(os.environ.get("AIRFLOW_ADMIN_PASSWORD", "admin"))
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda url: "/auth/login" not in url, timeout=30_000)
            yield page
        finally:
            browser.close()
