"""Plans and prices for the home page, read from billing when it is installed."""

from __future__ import annotations

from flask_babel import gettext as _


def _get(item, name: str, default=None):
    return item.get(name, default) if isinstance(item, dict) else getattr(item, name, default)


def public_plans() -> list[dict]:
    """[{name, price, features}] from `civic311.billing.plans`; empty when billing is not there yet."""
    try:
        from civic311.billing import plans
    except ImportError:
        return []
    source = None
    for attr in ("PLANS", "public_plans"):
        source = getattr(plans, attr, None)
        if source is not None:
            break
    if callable(source):
        source = source()
    if isinstance(source, dict):
        source = list(source.values())
    names = getattr(plans, "FEATURE_NAMES", {})
    result = []
    for plan in source or []:
        cents = _get(plan, "monthly_cents") or _get(plan, "monthly_price_cents") or _get(plan, "price_cents")
        price = f"${cents / 100:,.0f}" if isinstance(cents, int) else _get(plan, "price")
        features = [str(names.get(f, f)) for f in (_get(plan, "features") or [])]
        seats, volume = _get(plan, "staff_seats"), _get(plan, "monthly_requests")
        summary = _("%(seats)s staff seats, %(requests)s requests a month included", seats=seats,
                    requests=f"{volume:,}") if seats and volume else (_get(plan, "summary") or "")
        result.append({"name": _get(plan, "name") or _get(plan, "code"), "price": price, "summary": summary,
                       "features": features})
    return result
