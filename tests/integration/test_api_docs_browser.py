"""GET /docs in headless Chromium: Swagger UI renders every operation of docs/openapi.json from
files the API serves itself, and "Try it out" calls the API where the page was loaded from.

Served by the local cloud at the root and under the stage prefix, as API Gateway would be.
Debian's `chromium` drives the test (Playwright never downloads a browser here): without
/usr/bin/chromium the test is skipped, and `.ci/run` installs it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.integration.helpers import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
OPENAPI_DOCUMENT = REPO_ROOT / "docs" / "openapi.json"
# Bounds, not sleeps: Playwright polls until the condition holds or the bound is reached.
RENDER_TIMEOUT_MS = 30_000
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
TRY_IT_OUT = ("GET", "/openapi.json")  # public: needs no key

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium; .ci/run does)",
)


def documented_operations() -> set[tuple[str, str]]:
    paths = json.loads(OPENAPI_DOCUMENT.read_text())["paths"]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        for method in operations
        if method in HTTP_METHODS
    }


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def stage(local_cloud: Any) -> str:
    resources = local_cloud.template.body["Resources"].values()
    (name,) = [
        r["Properties"]["StageName"] for r in resources if r["Type"] == "AWS::ApiGateway::Stage"
    ]
    return str(name)


@pytest.mark.parametrize("under_stage", [False, True], ids=["root", "stage-prefix"])
def test_swagger_ui_shows_every_operation_and_tries_one_out_on_its_own_origin(
    browser: Any, api_url: str, stage: str, under_stage: bool
) -> None:
    from playwright.sync_api import expect

    base = api_url.rstrip("/") + (f"/{stage}" if under_stage else "")
    own = urlsplit(api_url)
    context = browser.new_context()
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    try:
        response = page.goto(f"{base}/docs", timeout=RENDER_TIMEOUT_MS)
        assert response is not None
        assert response.status == 200

        # Rendered: one block per operation, each with its method and path.
        expected = documented_operations()
        blocks = page.locator(".opblock")
        expect(blocks).to_have_count(len(expected), timeout=RENDER_TIMEOUT_MS)
        shown = {
            (
                block.locator(".opblock-summary-method").inner_text().strip().upper(),
                block.locator(".opblock-summary-path").get_attribute("data-path"),
            )
            for block in blocks.all()
        }
        assert shown == expected

        # Try it out -> Execute on the public route: the answer the page shows came from `base`.
        method, path = TRY_IT_OUT
        block = page.locator(f".opblock-{method.lower()}").filter(
            has=page.locator(f'.opblock-summary-path[data-path="{path}"]')
        )
        block.locator(".opblock-summary").click()
        block.locator("button.try-out__btn").click()
        block.locator("button.execute").click()
        live = block.locator(".live-responses-table tbody .response-col_status")
        expect(live).to_have_text("200", timeout=RENDER_TIMEOUT_MS)
        expect(block.locator(".request-url pre")).to_have_text(
            f"{base}{path}", timeout=RENDER_TIMEOUT_MS
        )
        assert f"{base}{path}" in requested
    finally:
        context.close()

    assert page_errors == []
    assert f"{base}/docs" in requested
    elsewhere = [
        url
        for url in requested
        if urlsplit(url).scheme != "data"
        and (urlsplit(url).hostname, urlsplit(url).port) != (own.hostname, own.port)
    ]
    assert elsewhere == [], f"the page fetched from outside the stack: {elsewhere}"
