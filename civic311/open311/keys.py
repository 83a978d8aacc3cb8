"""City admins issue, list and revoke the city's Open311 API keys (console, platform host)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from civic311.db import db
from civic311.open311.forms import IssueKeyForm, RevokeKeyForm
from civic311.tenants.apikeys import issue_key, revoke_key
from civic311.tenants.catalog import ApiKey
from civic311.web.city import city_blueprint, city_row_or_404, not_for_support, require_role
from civic311.web.hosts import tenant_url

bp = city_blueprint("open311_keys", __name__, "/settings/api-keys")


def _keys() -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc())))


def key_for_admin(key_id: str) -> ApiKey:
    """A key of the current city, or 404 (another city's key looks exactly like a missing one)."""
    return city_row_or_404(ApiKey, key_id)


def _page(form: IssueKeyForm, raw_key: str | None = None, status: int = 200):
    from flask import g

    return render_template("open311/keys.html", form=form, keys=_keys(), raw_key=raw_key,
                           revoke_form=RevokeKeyForm(), api_base=tenant_url(g.tenant, "/open311/v2"),
                           developers_url=tenant_url(g.tenant, "/developers")), status


@bp.route("/", methods=["GET"])
@require_role("admin")
def index():
    return _page(IssueKeyForm())


@bp.route("/", methods=["POST"])
@not_for_support
@require_role("admin")
def issue():
    form = IssueKeyForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    _, raw = issue_key(form.name.data, rate_limit_per_minute=form.rate_limit.data)
    # Shown on this response only: it is never stored, so no redirect that would lose it.
    return _page(IssueKeyForm(formdata=None), raw_key=raw)


@bp.route("/<key_id>/revoke", methods=["POST"])
@not_for_support
@require_role("admin")
def revoke(key_id: str):
    key = key_for_admin(key_id)
    form = RevokeKeyForm()
    if not form.validate_on_submit():
        abort(400)
    if key.revoked_at is None:
        revoke_key(key)
        flash(_("The key “%(name)s” is revoked: it no longer works.", name=key.name), "success")
    return redirect(url_for(".index"))
