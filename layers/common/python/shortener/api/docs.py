"""GET /docs: Swagger UI for the API, served by the API itself, with no asset from elsewhere.

swagger-ui's dist files come with Powertools (pinned in requirements.txt, so in the Dependencies
layer): the page links them at `docs/<file>`, relative to itself, so it works at the stage's root,
under the `/{stage}` prefix and behind CloudFront alike. For the same reason "Try it out" calls
the API at the page's own base URL, which the page works out in the browser: the function cannot
tell a CloudFront request (no prefix seen by the viewer) from a direct one under the prefix.

Nothing is read at import time: the files (about 1.7 MB) are read on their first request.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

import aws_lambda_powertools

SWAGGER_UI_DIR = (
    Path(aws_lambda_powertools.__file__).parent / "event_handler" / "openapi" / "swagger_ui"
)
PAGE_PATH = "/docs"
JS_FILE = "swagger-ui-bundle.min.js"
CSS_FILE = "swagger-ui.min.css"
ASSET_CONTENT_TYPES = {
    JS_FILE: "text/javascript; charset=utf-8",
    CSS_FILE: "text/css; charset=utf-8",
}
ASSET_PATHS = tuple(f"{PAGE_PATH}/{name}" for name in ASSET_CONTENT_TYPES)
HTML_CONTENT_TYPE = "text/html; charset=utf-8"
# The assets change only with the Powertools version; the page with every deployment.
ASSET_CACHE_CONTROL = "public, max-age=86400"
PAGE_CACHE_CONTROL = "no-cache"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="stylesheet" href="docs/{css}">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/{js}"></script>
  <script>
    var spec = {spec};
    // This page is at <base>/docs: the API it documents is <base>, whatever the host and prefix.
    var base = new URL(".", window.location.href).href.replace(/\\/$/, "");
    spec.servers = [{{url: base, description: "this API"}}];
    window.ui = SwaggerUIBundle({{
      spec: spec,
      dom_id: "#swagger-ui",
      deepLinking: true,
      docExpansion: "list",
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout"
    }});
  </script>
</body>
</html>
"""


@cache
def page(openapi_json: str, title: str) -> str:
    """The Swagger UI page with the OpenAPI document inlined (built once per process)."""
    # "</" inside a string would end the script element early: "<\/" is the same JSON string.
    spec = openapi_json.replace("</", "<\\/")
    return _PAGE.format(title=html.escape(title), css=CSS_FILE, js=JS_FILE, spec=spec)


@cache
def asset(name: str) -> str:
    """One of swagger-ui's dist files, read on its first request."""
    if name not in ASSET_CONTENT_TYPES:
        raise KeyError(name)
    return (SWAGGER_UI_DIR / name).read_text(encoding="utf-8")
