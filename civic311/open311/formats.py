"""Rendering: one Python structure, two spellings (XML and JSON), and the error bodies of the spec.

The views build plain dicts and lists; here they become `<service_requests><request>...` or a bare JSON
array. XML has no namespace and only the element names the structure carries.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from xml.sax.saxutils import escape

from flask import Response

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'

# The element name of one item of a list, by the list's own name.
ITEM_NAMES = {
    "service_requests": "request",
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
    "photos": "photo",
    "groups": "group",
    "errors": "error",
    "service_request_updates": "request_update",
    "extensions": "extension",
}


class Open311Error(Exception):
    """An answer in the spec's error body. `errors` is a list of (code, description); the code is the
    HTTP status as a number, as in the spec's own examples."""

    def __init__(self, status: int, description: str, more: list[str] | None = None, headers: dict | None = None):
        super().__init__(description)
        self.status = status
        self.errors = [(status, description), *((status, text) for text in (more or []))]
        self.headers = headers or {}


def _scalar(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _xml(name: str, value, out: list[str]) -> None:
    if isinstance(value, dict):
        out.append(f"<{name}>")
        for key, item in value.items():
            _xml(key, item, out)
        out.append(f"</{name}>")
    elif isinstance(value, list | tuple):
        item_name = ITEM_NAMES.get(name, "item")
        out.append(f"<{name}>")
        for item in value:
            _xml(item_name, item, out)
        out.append(f"</{name}>")
    else:
        text = XML_INVALID.sub("\ufffd", _scalar(value))  # older rows or echoed input must not break XML
        out.append(f"<{name}>{escape(text)}</{name}>" if text else f"<{name}/>")


XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def to_xml(root: str, data) -> str:
    out = [XML_DECLARATION]
    _xml(root, data, out)
    return "".join(out)


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def render(fmt: str, root: str, data, status: int = 200, headers: dict | None = None) -> Response:
    """`root` names the XML document element; JSON shows `data` itself (a bare array for lists)."""
    if fmt == "json":
        body = json.dumps(data, default=_json_default, ensure_ascii=False)
    else:
        fmt = "xml"
        body = to_xml(root, data)
    response = Response(body, status=status, content_type=FORMATS[fmt])
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def render_error(fmt: str, error: Open311Error) -> Response:
    items = [{"code": code, "description": description} for code, description in error.errors]
    return render(fmt, "errors", items, status=error.status, headers=error.headers)
