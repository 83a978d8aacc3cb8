"""Photos on requests: checked by content, size-capped, stripped of EXIF, thumbnailed in a job.

`store_photos` (called by intake) refuses anything that is not really a JPEG, PNG, WebP (or HEIC,
when pillow-heif is installed) whatever its name says, re-encodes the pixels (which drops EXIF,
GPS position included, after turning the image upright), stores it, and asks for a thumbnail job.
If S3 is unreachable the photo is kept on local disk (key prefixed "local:") and the thumbnail job
moves it to S3 later: a request is never refused because storage is down.
"""

from __future__ import annotations

import io
import logging
import uuid
import warnings

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps

from civic311.db import db
from civic311.platform import outbox, storage
from civic311.platform.intake import FieldError, IntakeError, PhotoUpload
from civic311.platform.models import Attachment, ServiceRequest

log = logging.getLogger("civic311.attachments")

try:  # HEIC from iPhones, where the wheel installs
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIC = True
except ImportError:  # pragma: no cover - depends on the platform
    HEIC = False

ACCEPTED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heic"}
# What each format is stored as: HEIC becomes JPEG so every browser can show it.
STORED_AS = {"JPEG": ("JPEG", "image/jpeg", "jpg"), "PNG": ("PNG", "image/png", "png"),
             "WEBP": ("WEBP", "image/webp", "webp"), "HEIF": ("JPEG", "image/jpeg", "jpg")}
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is plenty; more is a decompression bomb
MAX_PHOTOS = 5
THUMB_SIZE = (400, 400)
LOCAL_PREFIX = "local:"


class CheckedPhoto:
    def __init__(self, data: bytes, content_type: str, ext: str, width: int, height: int, name: str):
        self.data, self.content_type, self.ext = data, content_type, ext
        self.width, self.height, self.name = width, height, name


def _media_error(message: str) -> IntakeError:
    return IntakeError([FieldError("media", "invalid", message)])


def check_photo(photo: PhotoUpload) -> CheckedPhoto:
    """The photo re-encoded without metadata, or an IntakeError on field "media" saying what is wrong."""
    limit_mb = current_app.config["CIVIC311"].max_upload_mb
    if len(photo.data) > limit_mb * 1024 * 1024:
        raise _media_error(_("%(name)s is larger than %(n)s MB. Send a smaller photo.", name=photo.filename,
                             n=limit_mb))
    if not photo.data:
        raise _media_error(_("%(name)s is empty.", name=photo.filename))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(photo.data))
            fmt = image.format
            if fmt not in ACCEPTED or (fmt == "HEIF" and not HEIC):
                raise _media_error(_("%(name)s is not a photo we can take: send a JPEG, PNG, WebP or HEIC "
                                     "image.", name=photo.filename))
            if image.width * image.height > MAX_PIXELS:
                raise _media_error(_("%(name)s has too many pixels.", name=photo.filename))
            image.load()
    except IntakeError:
        raise
    except Exception as exc:  # truncated, corrupt, a bomb, or not an image at all
        log.info("refused upload %s: %s", photo.filename, exc)
        raise _media_error(_("%(name)s is not a photo we can read: send a JPEG, PNG, WebP or HEIC image.",
                             name=photo.filename)) from exc
    save_format, content_type, ext = STORED_AS[fmt]
    upright = ImageOps.exif_transpose(image)  # the camera's rotation, applied before EXIF goes
    if save_format == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    # No exif=, no icc_profile of the original, no XMP: only pixels survive.
    options = {"quality": 88, "optimize": True} if save_format in ("JPEG", "WEBP") else {"optimize": True}
    upright.save(out, format=save_format, **options)
    return CheckedPhoto(out.getvalue(), content_type, ext, upright.width, upright.height, photo.filename)


def store_photos(req: ServiceRequest, photos: list[PhotoUpload], event_id: uuid.UUID | None = None) -> list[Attachment]:
    """Check every photo first (all or nothing), then store each and ask for its thumbnail."""
    if len(photos) > MAX_PHOTOS:
        raise _media_error(_("Send at most %(n)s photos.", n=MAX_PHOTOS))
    checked = [check_photo(p) for p in photos]
    stored = []
    for photo in checked:
        attachment_id = uuid.uuid4()
        key = f"t/{req.tenant_id}/requests/{req.id}/{attachment_id}.{photo.ext}"
        key = put_safely(key, photo.data, photo.content_type)
        attachment = Attachment(
            id=attachment_id, request_id=req.id, event_id=event_id, storage_key=key,
            content_type=photo.content_type, size=len(photo.data), width=photo.width, height=photo.height,
            original_name=(photo.name or "")[:255] or None,
        )
        db.session.add(attachment)
        outbox.add("thumbnail", {"attachment_id": str(attachment.id)}, dedupe_key=f"thumbnail:{attachment.id}",
                   fresh=True)
        stored.append(attachment)
    return stored


def put_safely(key: str, data: bytes, content_type: str) -> str:
    """Store with the configured backend; when S3 fails, on local disk for the job to move later."""
    try:
        storage.get_storage().put(key, data, content_type)
        return key
    except Exception as exc:
        if not storage.uses_s3():
            raise
        log.warning("S3 unavailable (%s); keeping %s on local disk until the thumbnail job moves it", exc, key)
        storage.local().put(key, data, content_type)
        return LOCAL_PREFIX + key


def read(key: str) -> bytes:
    if key.startswith(LOCAL_PREFIX):
        return storage.local().get(key[len(LOCAL_PREFIX):])
    return storage.get_storage().get(key)


def make_thumbnail(tenant_id: uuid.UUID, payload: dict) -> str:
    """Job: move a locally parked photo to S3 if needed, then make its thumbnail. Safe to run twice."""
    attachment = db.session.get(Attachment, (tenant_id, uuid.UUID(payload["attachment_id"])))
    if attachment is None:
        return "gone"
    if attachment.storage_key.startswith(LOCAL_PREFIX) and storage.uses_s3():
        key = attachment.storage_key[len(LOCAL_PREFIX):]
        data = storage.local().get(key)
        storage.get_storage().put(key, data, attachment.content_type)  # raises while S3 is down: retried
        attachment.storage_key = key
        storage.local().delete(key)
    if attachment.thumb_key:
        return "exists"
    image = Image.open(io.BytesIO(read(attachment.storage_key)))
    image.thumbnail(THUMB_SIZE)
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80, optimize=True)
    base = attachment.storage_key.removeprefix(LOCAL_PREFIX).rsplit(".", 1)[0]
    thumb_key = put_safely(f"{base}.thumb.jpg", out.getvalue(), "image/jpeg")
    attachment.thumb_key = thumb_key
    return "made"


def attachment_url(att: Attachment, thumb: bool = False) -> str:
    """A signed, expiring absolute URL for the photo (or its thumbnail, once made)."""
    key = att.thumb_key if thumb and att.thumb_key else att.storage_key
    if key.startswith(LOCAL_PREFIX) or not storage.uses_s3():
        from civic311.tenants.models import Tenant
        from civic311.tenants.urls import tenant_url

        tenant = db.session.get(Tenant, att.tenant_id)
        return tenant_url(tenant, storage.local().url(key.removeprefix(LOCAL_PREFIX)))
    return storage.get_storage().url(key)
