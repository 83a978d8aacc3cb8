"""The Open311 GeoReport v2 resources, in XML and JSON, on every city's host and on the platform host.

Each view: resolve the city (site.enter_tenant), read parameters (params), call the service
(intake, search, updates), render (formats). Errors are always the spec's error body.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from functools import wraps
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from civic311.db import db
from civic311.open311 import params, search, serializers, site, updates
from civic311.open311.formats import FORMATS, Open311Error, render, render_error
from civic311.platform.intake import (
    Contact,
    IntakeError,
    IntakeSubmission,
    Location,
    PhotoUpload,
    file_request,
)
from civic311.platform.models import ServiceRequest, SubmissionToken
from civic311.web.hosts import platform_url, tenant_url
from civic311.web.security import csrf

log = logging.getLogger("civic311.open311")

bp = Blueprint("open311", __name__, url_prefix="/open311")
csrf.exempt(bp)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this API last changed shape (discovery's `changeset`: validators want a past ISO 8601 time).
API_CHANGESET = datetime(2026, 1, 15, 0, 0, tzinfo=UTC)
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
PHOTO_FIELD = re.compile(r"^(media|photo\d{1,2})$")
MAX_MEDIA_URL = 500
EXTENSIONS_DOC = [
    {"name": "page", "description": "Page number of /requests, base 1, with page_size (default 1000, max 1000)."},
    {"name": "limit", "description": "limit (max 1000) and offset (base 0) on /requests; they win over page."},
    {"name": "after", "description": "after=<cursor> on /requests: keyset paging. A full page carries a Link "
                                      "header (rel=next) with the next page's URL; follow it to walk every row once."},
    {"name": "updated_after", "description": "updated_after / updated_before: ISO 8601 bounds on updated_datetime."},
    {"name": "bbox", "description": "bbox=minLng,minLat,maxLng,maxLat on /requests."},
    {"name": "q", "description": "q: text search in description, address, service name and id."},
    {"name": "extensions", "description": "extensions=true adds extended_attributes, notes and detailed_status."},
    {"name": "servicerequestupdates", "description": "mySociety updates: GET and POST /servicerequestupdates."},
]


def _fmt_from_path() -> str:
    return "json" if request.path.endswith(".json") else "xml"


def resource(rule: str, methods: tuple[str, ...] = ("GET",), tenant: bool = True):
    """Register an API view: every method reaches it (so a wrong one gets the spec's error body), the
    format suffix is checked, the city is entered, and Open311Error becomes the error body."""

    def decorator(view):
        @wraps(view)
        def wrapper(fmt: str = "json", **kwargs):
            fmt_ok = fmt in FORMATS
            g.open311_fmt = fmt if fmt_ok else _fmt_from_path()
            try:
                if not fmt_ok:
                    raise Open311Error(400, _("Unknown format %(f)s: use .xml or .json.", f=fmt[:20]))
                allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())
                if request.method == "OPTIONS":
                    return current_app.response_class(status=204, headers={"Allow": ", ".join(sorted(allowed))})
                if any("\x00" in str(value) for value in kwargs.values()):
                    raise Open311Error(400, _("Parameters cannot contain NUL characters."))
                if request.method not in allowed:
                    # The contract: 404 when a resource does not exist, 403 for a bad key, 400 for everything
                    # else, a wrong method included. So a resource named in the path is looked up first, as a
                    # GET would (its views only read), and Allow still names the methods that work.
                    if tenant:
                        site.enter_tenant()
                    if kwargs and methods == ("GET",):
                        view(fmt, **kwargs)
                    raise Open311Error(400, _("Method %(m)s is not allowed here: use %(allowed)s.",
                                              m=request.method, allowed=", ".join(sorted(allowed))),
                                       headers={"Allow": ", ".join(sorted(allowed))})
                if tenant:
                    site.enter_tenant()
                return view(fmt, **kwargs)
            except Open311Error as err:
                return render_error(g.open311_fmt, err)

        bp.add_url_rule(rule, view.__name__, wrapper, methods=ALL_METHODS)
        return wrapper

    return decorator


# --- discovery ------------------------------------------------------------------------------------

def _discovery(fmt: str):
    tenant = g.open311_tenant
    base = tenant_url(tenant, "/open311/v2")
    data = {
        "changeset": API_CHANGESET.isoformat().replace("+00:00", "Z"),
        "contact": ", ".join(x for x in (tenant.title, tenant.contact_email, tenant.phone) if x),
        "key_service": tenant_url(tenant, "/developers"),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": base,
            "changeset": API_CHANGESET.isoformat().replace("+00:00", "Z"),
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
        "extensions": EXTENSIONS_DOC,
    }
    return render(fmt, "discovery", data)


@resource("/discovery.<fmt>")
def discovery_short(fmt: str):
    return _discovery(fmt)


@resource("/v2/discovery.<fmt>")
def discovery(fmt: str):
    return _discovery(fmt)


# --- services -------------------------------------------------------------------------------------

@resource("/v2/services.<fmt>")
def services(fmt: str):
    return render(fmt, "services", serializers.services(serializers.api_categories()))


@resource("/v2/services/<code>.<fmt>")
def service_definition(fmt: str, code: str):
    category = next((c for c in serializers.api_categories() if c.service_code == code), None)
    if category is None:
        raise Open311Error(404, _("There is no service with code %(code)s.", code=code))
    return render(fmt, "service_definition", serializers.definition(category))


# --- requests -------------------------------------------------------------------------------------

@resource("/v2/requests.<fmt>", methods=("GET", "POST"))
def requests_resource(fmt: str):
    if request.method == "POST":
        return _create(fmt)
    tenant = g.open311_tenant
    rows = search.fetch(*search.build_query(tenant))
    headers = {}
    if rows and len(rows) == search.paging().limit and not params.get("service_request_id"):
        # A full page: the next one starts after its last row (keyset paging, cheap at any depth).
        args = request.args.to_dict(flat=True)
        for name in ("offset", "page", "after"):
            args.pop(name, None)
        args["after"] = search.encode_cursor(rows[-1].requested_at, rows[-1].id)
        headers["Link"] = f'<{request.base_url}?{urlencode(args)}>; rel="next"'
    return render(fmt, "service_requests",
                  serializers.requests_out(tenant, list(rows), extensions=params.boolean("extensions")),
                  headers=headers)


def _single(fmt: str, request_id: str):
    tenant = g.open311_tenant
    row = search.one_request(tenant, request_id)
    if row is None:
        raise Open311Error(404, _("There is no request %(n)s.", n=request_id[:40]))
    return render(fmt, "service_requests",
                  serializers.requests_out(tenant, [row], extensions=params.boolean("extensions")))


@resource("/v2/requests/<request_id>.<fmt>")
def single_request(fmt: str, request_id: str):
    return _single(fmt, request_id)


@resource("/v2/request/<request_id>.<fmt>")
def single_request_singular(fmt: str, request_id: str):
    return _single(fmt, request_id)


@resource("/v2/tokens/<token>.<fmt>")
def token_resource(fmt: str, token: str):
    row = db.session.execute(
        select(SubmissionToken.token, ServiceRequest.number)
        .outerjoin(ServiceRequest, (ServiceRequest.tenant_id == SubmissionToken.tenant_id)
                   & (ServiceRequest.id == SubmissionToken.request_id))
        .where(SubmissionToken.token == token)
    ).first()
    if row is None:
        raise Open311Error(404, _("There is no token %(t)s.", t=token[:40]))
    return render(fmt, "service_requests", [{"service_request_id": row.number, "token": row.token}])


def _photos() -> list[PhotoUpload]:
    uploads = []
    for name in request.files:
        if not PHOTO_FIELD.match(name):
            continue
        for storage in request.files.getlist(name):
            data = storage.read()
            if data:
                uploads.append(PhotoUpload(filename=storage.filename or name, data=data,
                                           content_type=storage.mimetype or None))
    if uploads and serializers._attachment_url_function() is None:
        log.warning("photo storage is not available in this build; %d upload(s) not kept", len(uploads))
        return []
    return uploads


def _media_urls() -> list[str]:
    urls = params.get_list("media_url")
    for url in urls:
        if len(url) > MAX_MEDIA_URL or not url.lower().startswith(("http://", "https://")):
            raise Open311Error(400, _("media_url must be an http(s) link of at most %(n)s characters.",
                                      n=MAX_MEDIA_URL))
    return urls[:10]


def _create(fmt: str):
    tenant = g.open311_tenant
    site.require_key()
    if not (tenant.channels or {}).get("api", True):
        raise Open311Error(403, _("This city does not accept requests through the API."))
    service_code = params.get("service_code")
    if service_code is None:
        raise Open311Error(400, _("service_code is required."))
    lat, lng = params.number("lat"), params.number("long", "lng")
    if (lat is None) != (lng is None):
        raise Open311Error(400, _("Give lat and long together."))
    name = " ".join(x for x in (params.get("first_name"), params.get("last_name")) if x) or None
    account_id = params.get("account_id")
    sub = IntakeSubmission(
        service_code=service_code,
        channel="api",
        answers=params.attributes(),
        description=params.get("description") or "",
        location=Location(lat=lat, lng=lng, address=params.get("address_string", "address"),
                          address_id=params.get("address_id"), zipcode=params.get("zipcode")),
        contact=Contact(name=name, email=params.get("email"), phone=params.get("phone")),
        photos=_photos(),
        media_urls=_media_urls(),
        locale=(params.get("locale") or tenant.default_locale)[:8],
        device_id=(params.get("device_id", "deviceid") or "")[:120] or None,
        external_account_id=(account_id or "")[:120] or None,
    )
    try:
        result = file_request(sub)
    except IntakeError as exc:
        messages = [e.message if e.field in ("service_code", "location") else f"{e.field}: {e.message}"
                    for e in exc.errors]
        raise Open311Error(404 if exc.not_found else 400, messages[0], more=messages[1:]) from None
    category = result.category
    notice = category.emergency_notice.get(sub.locale) or category.emergency_notice.get(tenant.default_locale) \
        or _("Expected within %(t)s.", t=category.sla_text())
    answer = {"token": result.token} if result.token else {"service_request_id": result.request.number}
    answer["service_notice"] = notice
    if account_id:
        answer["account_id"] = account_id
    return render(fmt, "service_requests", [answer])


# --- mySociety updates ----------------------------------------------------------------------------

@resource("/v2/servicerequestupdates.<fmt>", methods=("GET", "POST"))
def service_request_updates(fmt: str):
    from zoneinfo import ZoneInfo

    tenant = g.open311_tenant
    tz = ZoneInfo(tenant.timezone)
    if request.method == "GET":
        start, end = params.date("start_date", tz), params.date("end_date", tz)
        if start and end and end < start:
            raise Open311Error(400, _("end_date must be after start_date."))
        window = search.paging()
        return render(fmt, "service_request_updates",
                      updates.list_updates(tenant, start, end, limit=window.limit, offset=window.offset))
    site.require_key()
    missing = [n for n in ("service_request_id", "update_id", "status") if params.get(n) is None]
    if missing:
        raise Open311Error(400, _("%(n)s is required.", n=missing[0]),
                           more=[_("%(n)s is required.", n=m) for m in missing[1:]])
    media_url = (_media_urls() or [None])[0]
    event = updates.apply_update(
        tenant, params.get("service_request_id"), params.get("update_id")[:64], params.get("status"),
        (params.get("description") or "")[:4000], external_status_code=params.get("external_status_code"),
        duplicate_of=params.get("duplicate_of", "parent_service_request_id"),
        updated_at=params.date("updated_datetime", tz), media_url=media_url,
    )
    return render(fmt, "service_request_updates", [{"update_id": str(event.id)}])


# --- the OpenAPI document and everything else under /open311/ -----------------------------------

@bp.route("/v2/openapi.json", methods=ALL_METHODS)
def openapi_document():
    from civic311.open311.openapi import document

    g.open311_fmt = "json"
    if request.method == "OPTIONS":
        return current_app.response_class(status=204, headers={"Allow": "GET, HEAD"})
    if request.method not in ("GET", "HEAD"):
        return render_error("json", Open311Error(400, _("Method %(m)s is not allowed here: use %(allowed)s.",
                                                        m=request.method, allowed="GET, HEAD"),
                                                 headers={"Allow": "GET, HEAD"}))

    server = tenant_url(g.site.tenant, "") if g.get("site") and g.site.kind == "tenant" else platform_url("")
    response = jsonify(document(server))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/", defaults={"rest": ""}, methods=ALL_METHODS)
@bp.route("/<path:rest>", methods=ALL_METHODS)
def not_found(rest: str):
    g.open311_fmt = _fmt_from_path()
    return render_error(g.open311_fmt, Open311Error(404, _("There is no such Open311 resource.")))


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    status = exc.code or 500
    descriptions = {404: _("Not found."), 405: _("Method not allowed."), 413: _("The upload is too large."),
                    429: _("Too many requests.")}
    text = descriptions.get(status, exc.description if status < 500 else _("Something went wrong."))
    headers = {}
    if status == 405:  # e.g. POST to openapi.json: the contract answers 400, with Allow kept
        status = 400
        headers = {k: v for k, v in exc.get_headers() if k == "Allow"}
    return render_error(g.get("open311_fmt") or _fmt_from_path(), Open311Error(status, text, headers=headers))


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    log.exception("Open311 request failed")
    db.session.rollback()
    return render_error(g.get("open311_fmt") or _fmt_from_path(), Open311Error(500, _("Something went wrong.")))
