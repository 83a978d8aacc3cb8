"""The city's look on its portal: brand colours made readable (WCAG AA) and the logo's address."""

from __future__ import annotations

import importlib
import re

from civic311.tenants.models import Tenant

HEX_RE = re.compile(r"^#?([0-9a-fA-F]{6})$")
AA_NORMAL_TEXT = 4.5
FALLBACK = "#1f4e79"


def _rgb(color: str) -> tuple[int, int, int]:
    match = HEX_RE.match((color or "").strip())
    value = match.group(1) if match else FALLBACK[1:]
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def luminance(color: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = _rgb(color)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_on_white(color: str, ratio: float = AA_NORMAL_TEXT) -> str:
    """The colour itself when white text on it (and it as text on white) passes AA, else darkened until it does.

    Darkening keeps the hue, so the city still recognises its colour."""
    rgb = _rgb(color)
    current = _hex(rgb)
    for _ in range(60):
        if contrast(current, "#ffffff") >= ratio:
            return current
        rgb = tuple(c * 0.92 for c in rgb)
        current = _hex(rgb)
    return "#000000"


def brand_colors(tenant: Tenant) -> dict[str, str]:
    return {
        "brand": readable_on_white(tenant.primary_color),
        "accent": readable_on_white(tenant.accent_color),
    }


def _optional(module: str):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if module == exc.name or module.startswith(f"{exc.name}."):
            return None
        raise


def logo_url(tenant: Tenant) -> str | None:
    """The logo's address from the storage layer, when there is a logo and a storage layer to ask."""
    if not tenant.logo_key:
        return None
    storage = _optional("civic311.platform.storage")
    if storage is None:
        return None
    try:
        key = tenant.logo_key
        if key.startswith("local:") or not storage.uses_s3():
            return storage.local().url(key.removeprefix("local:"))
        return storage.get_storage().url(key)
    except Exception:  # a broken logo must never take the portal down
        return None


def optional_module(module: str):
    """A module another engineer builds (kb, surveys, attachments): None until it exists."""
    return _optional(module)
