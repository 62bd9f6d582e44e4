"""GET /docs: Swagger UI served by the API itself, public, with every asset from the same API."""

from __future__ import annotations

import json
import re

from shortener.api import docs
from shortener.links import codes
from tests.unit.conftest import ApiCall


def _inlined_spec(page: str) -> dict:
    match = re.search(r"var spec = (\{.*?\});\n", page, re.DOTALL)
    assert match, "the page inlines no OpenAPI document"
    return dict(json.loads(match.group(1).replace("<\\/", "</")))


def test_the_docs_page_is_public_and_inlines_the_served_document(api: ApiCall) -> None:
    answer = api("GET", "/docs", owner=None)

    assert answer.status == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert _inlined_spec(answer.text) == api("GET", "/openapi.json", owner=None).json()


def test_the_page_loads_nothing_from_another_origin(api: ApiCall) -> None:
    page = api("GET", "/docs", owner=None).text
    markup = page.split("var spec = ", 1)[0]  # the document's own texts may name URLs

    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", markup)
    assert sorted(sources) == sorted(f"docs/{name}" for name in docs.ASSET_CONTENT_TYPES)
    assert "//" not in "".join(sources)


def test_try_it_out_targets_the_pages_own_base_url(api: ApiCall) -> None:
    page = api("GET", "/docs", owner=None).text

    assert 'new URL(".", window.location.href)' in page
    assert "spec.servers = [{url: base" in page


def test_the_swagger_ui_files_are_served_with_their_types_and_cached(api: ApiCall) -> None:
    for name, content_type in docs.ASSET_CONTENT_TYPES.items():
        answer = api("GET", f"/docs/{name}", owner=None)

        assert answer.status == 200, name
        assert answer.headers["content-type"] == content_type
        assert answer.headers["cache-control"] == docs.ASSET_CACHE_CONTROL
        assert answer.text == (docs.SWAGGER_UI_DIR / name).read_text(encoding="utf-8")
    assert "SwaggerUIBundle" in docs.asset(docs.JS_FILE)


def test_a_trailing_slash_is_redirected_to_the_page_its_links_are_relative_to(
    api: ApiCall,
) -> None:
    answer = api("GET", "/docs/", owner=None)

    assert answer.status == 308
    assert answer.headers["location"] == "../docs"


def test_no_link_can_take_the_docs_path() -> None:
    assert codes.is_reserved("docs")
    assert codes.is_reserved("Docs")
