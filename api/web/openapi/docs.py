"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from the files the ``fastapi-offline``
package ships, served under ``/docs-assets``: the documents work without internet
access. Each page also tells the browser to load nothing from another origin (ReDoc's
sidebar would otherwise fetch its maker's logo from a CDN), and uses no web font.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS", "OWN_ORIGIN_ONLY", "install_docs"]

ASSETS = "/docs-assets"
OWN_ORIGIN_ONLY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:"
)
_META = f'<meta http-equiv="Content-Security-Policy" content="{OWN_ORIGIN_ONLY}">'


def install_docs(app: FastAPI) -> None:
    """Mount the packaged assets and add the two pages (``app`` built with
    ``docs_url=None, redoc_url=None``)."""
    folder = files("fastapi_offline") / "static"
    app.mount(ASSETS, StaticFiles(directory=str(folder)), name="docs-assets")
    title = app.title

    async def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
        )
        return _own_origin_only(page)

    async def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{title} - ReDoc",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
        return _own_origin_only(page)

    app.add_api_route("/docs", swagger_ui, methods=["GET"], include_in_schema=False)
    app.add_api_route("/redoc", redoc, methods=["GET"], include_in_schema=False)


def _own_origin_only(page: HTMLResponse) -> HTMLResponse:
    body = bytes(page.body).decode("utf-8").replace("<head>", f"<head>\n{_META}", 1)
    return HTMLResponse(body)
