"""GET /requests: the standard filters, the 90-day / 1,000-row defaults and the paging extensions.

Ordering is (requested_at desc, id desc) so the (tenant_id, requested_at, id) index serves every page.
"""

from __future__ import annotations

import base64
import binascii
import functools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Integer, Row, Select, and_, bindparam, func, literal, or_, select

from civic311.db import JSONType, db, utcnow
from civic311.open311 import params
from civic311.open311.formats import Open311Error
from civic311.platform.models import OPEN_STATUSES, Attachment, ServiceRequest
from civic311.tenants.catalog import Department
from civic311.tenants.models import Tenant

DEFAULT_WINDOW = timedelta(days=90)
STATUS_VALUES = ("open", "closed")


# Only the columns the API shows (never the reporter's), with the department's name joined in: one
# narrow query per page instead of full ORM objects plus a lookup.
SR = ServiceRequest
# media_urls is NULL when empty, as for nearly every request: decoding fifty '[]' per page cost more
# than the database's comparison.
REQUEST_COLUMNS = (SR.id, SR.number, SR.status, SR.close_note, SR.close_reason, SR.service_name, SR.service_code,
                   SR.description, SR.requested_at, SR.updated_at, SR.closed_at, SR.due_at, SR.address,
                   SR.address_id, SR.zipcode, SR.lat, SR.lng,
                   func.nullif(SR.media_urls, literal([], JSONType), type_=JSONType).label("media_urls"),
                   SR.detailed_status, SR.channel, SR.zone_id, SR.duplicate_of_id)


def _first_photo_key(tenant_id, request_id):
    """The storage key of a request's first public photo (media_url needs only that)."""
    return (select(Attachment.storage_key)
            .where(Attachment.tenant_id == tenant_id, Attachment.request_id == request_id,
                   Attachment.public.is_(True))
            .order_by(Attachment.created_at).limit(1).scalar_subquery())


@functools.cache
def request_rows() -> Select:
    """The public columns, the department's name and the first photo's key of every request. Built once:
    a statement is immutable (each `.where()` returns a new one), and building it cost more than running it."""
    return select(*REQUEST_COLUMNS, Department.name.label("department_name"),
                  _first_photo_key(SR.tenant_id, SR.id).correlate(SR).label("photo_key")).outerjoin(
        Department, and_(Department.tenant_id == SR.tenant_id, Department.id == SR.department_id))


def fetch(statement: Select, parameters: dict | None = None) -> list[Row]:
    """Run one of this module's reads as Core on the session's connection. The ORM's per-statement work
    (its execute events, the tenant criteria option, entity compilation) cost more CPU than the query
    itself on the API's two hottest paths. So these statements name their tenant themselves, on every
    tenant-owned table they read, and PostgreSQL's row-level security still applies underneath: taking
    the connection begins the transaction that sets it."""
    return db.session.connection().execute(statement, parameters or {}).all()


def one_request(tenant: Tenant, number: str) -> Row | None:
    rows = fetch(_by_number(), {"tenant_id": tenant.id, "number": number})
    return rows[0] if rows else None


@functools.cache
def _by_number() -> Select:
    return request_rows().where(SR.tenant_id == bindparam("tenant_id"), SR.number == bindparam("number"))


@functools.cache
def _all_page_rows() -> Select:
    """request_rows() without the photo: a search filters, orders and cuts this, then `_newest_first` adds
    the photo lookup for the page's rows only (after LIMIT/OFFSET, not for every row skipped). The
    tenant is a condition of its own: the ORM's tenant criteria do not reach inside a subquery (nor into
    a Core read, see fetch())."""
    return select(SR.tenant_id, *REQUEST_COLUMNS, Department.name.label("department_name")).outerjoin(
        Department, and_(Department.tenant_id == SR.tenant_id, Department.id == SR.department_id)
    ).where(SR.tenant_id == bindparam("tenant_id"))


@functools.cache
def _photo_column():
    return _first_photo_key(SR.tenant_id, SR.id).correlate(SR).label("photo_key")


def with_photos(page: Select) -> Select:
    cut = page.subquery("page")
    return select(cut, _first_photo_key(cut.c.tenant_id, cut.c.id).correlate(cut).label("photo_key")).order_by(
        cut.c.requested_at.desc(), cut.c.id.desc())


def _newest_first(query: Select, offset: bool) -> Select:
    """Order, cut, and add each row's first photo. Without an offset the photo is a column of the query
    itself: PostgreSQL evaluates an expensive output column after the sort and only for the rows LIMIT
    keeps, and building the page subquery costs more Python than the query costs the database. With an
    offset the skipped rows would pay for their photo lookup too, so the page is cut first."""
    query = query.order_by(SR.requested_at.desc(), SR.id.desc()).limit(bindparam("limit", type_=Integer))
    if offset:
        return with_photos(query.offset(bindparam("offset", type_=Integer)))
    return query.add_columns(_photo_column())


def _matches_text():
    pattern = bindparam("q")
    return or_(*(column.ilike(pattern, escape="\\")
                 for column in (SR.description, SR.address, SR.service_name, SR.number)))


# Each filter a search can use, as a condition on bound parameters of the same names.
CONDITIONS = {
    "ids": lambda: SR.number.in_(bindparam("ids", expanding=True)),
    "codes": lambda: SR.service_code.in_(bindparam("codes", expanding=True)),
    "open": lambda: SR.status.in_(OPEN_STATUSES),
    "closed": lambda: SR.status == "closed",
    "start": lambda: SR.requested_at >= bindparam("start"),
    "end": lambda: SR.requested_at <= bindparam("end"),
    "updated_after": lambda: SR.updated_at >= bindparam("updated_after"),
    "updated_before": lambda: SR.updated_at <= bindparam("updated_before"),
    "bbox": lambda: and_(SR.lat.between(bindparam("min_lat"), bindparam("max_lat")),
                         SR.lng.between(bindparam("min_lng"), bindparam("max_lng"))),
    "q": _matches_text,
    "after": lambda: or_(SR.requested_at < bindparam("after_at"),
                         and_(SR.requested_at == bindparam("after_at"), SR.id < bindparam("after_id"))),
}


@functools.lru_cache(maxsize=512)
def _statement(filters: tuple[str, ...], offset: bool) -> Select:
    """One statement per shape of search (which filters, whether an offset), its values bound at
    execution. Executing the very statement object the cache compiled skips both building a statement
    per request and matching a new one's columns against the compiled one's."""
    return _newest_first(_all_page_rows().where(*(CONDITIONS[name]() for name in filters)), offset)


@dataclass
class Window:
    limit: int
    offset: int


def encode_cursor(requested_at, request_id) -> str:
    """An opaque keyset cursor: the (requested_at, id) of a page's last row."""
    raw = f"{requested_at.isoformat()}|{request_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(text: str):
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        when, _sep, ident = raw.partition("|")
        return datetime.fromisoformat(when), uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise Open311Error(400, _("after must be a cursor from a previous page's Link header.")) from None


def _after(values: dict) -> bool:
    """Keyset paging (`after=`): rows strictly older than the cursor, in the same order. Unlike offset,
    a deep page costs as much as the first one (the (tenant_id, requested_at, id) index seeks to it)."""
    text = params.get("after")
    if text is None:
        return False
    values["after_at"], values["after_id"] = _decode_cursor(text[:200])
    if params.get("offset") is not None or params.get("page") is not None:
        raise Open311Error(400, _("Use after on its own, without offset or page."))
    return True


def paging() -> Window:
    """`limit`/`offset` win over `page`/`page_size` (page is 1-based); every size is capped at 1,000."""
    limit = params.integer("limit", minimum=1, maximum=params.MAX_PAGE_SIZE)
    offset = params.integer("offset", minimum=0)
    page = params.integer("page", minimum=1)
    page_size = params.integer("page_size", minimum=1, maximum=params.MAX_PAGE_SIZE)
    if limit is not None or offset is not None:
        return Window(limit or params.DEFAULT_PAGE_SIZE, offset or 0)
    size = page_size or params.DEFAULT_PAGE_SIZE
    return Window(size, ((page or 1) - 1) * size)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def build_query(tenant: Tenant) -> tuple[Select, dict]:
    """The statement of this request's search and the values to run it with (see fetch())."""
    tz = ZoneInfo(tenant.timezone)
    window = paging()
    values: dict = {"tenant_id": tenant.id, "limit": window.limit, "offset": window.offset}
    ids = params.comma_list("service_request_id")
    if ids:  # overrides every other filter
        values["ids"] = ids[:params.MAX_PAGE_SIZE]
        return _statement(("ids",), bool(window.offset)), values
    filters: list[str] = []
    codes = params.comma_list("service_code")
    if codes:
        filters.append("codes")
        values["codes"] = codes
    statuses = [s.lower() for s in params.comma_list("status")]
    wrong = [s for s in statuses if s not in STATUS_VALUES]
    if wrong:
        raise Open311Error(400, _("status must be open, closed or both (comma separated)."))
    if set(statuses) == {"open"}:
        filters.append("open")
    elif set(statuses) == {"closed"}:
        filters.append("closed")
    start, end = params.date("start_date", tz), params.date("end_date", tz)
    if start is not None and end is not None and end < start:
        raise Open311Error(400, _("end_date must be after start_date."))
    if start is None and end is None:
        start = utcnow() - DEFAULT_WINDOW
    elif start is None:
        start = end - DEFAULT_WINDOW
    filters.append("start")
    values["start"] = start
    if end is not None:
        filters.append("end")
        values["end"] = end
    for name in ("updated_after", "updated_before"):
        bound = params.date(name, tz)
        if bound is not None:
            filters.append(name)
            values[name] = bound
    box = params.bbox()
    if box is not None:
        filters.append("bbox")
        values["min_lng"], values["min_lat"], values["max_lng"], values["max_lat"] = box
    text = params.get("q")
    if text is not None:
        filters.append("q")
        values["q"] = _like(text[:200])
    keyset = _after(values)
    if keyset:
        filters.append("after")
    return _statement(tuple(filters), bool(window.offset) and not keyset), values
