"""Photos: checked by content, EXIF/GPS stripped, thumbnails in a job, local or S3 storage, signed URLs."""

from __future__ import annotations

import io
import time
from urllib.parse import urlparse

import pytest
import requests
from PIL import Image
from sqlalchemy import select

from civic311.db import db
from civic311.platform import storage
from civic311.platform.attachments import LOCAL_PREFIX, attachment_url, read
from civic311.platform.intake import IntakeError, PhotoUpload
from civic311.platform.models import Attachment, ServiceRequest
from civic311.tenancy import tenant_context
from tests.engines.helpers import city_get, drain, file, pothole_category

GPS_IFD = 0x8825


def jpeg_with_gps(size=(1200, 900), color=(200, 60, 40)) -> bytes:
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[GPS_IFD] = {1: "N", 2: (39.0, 46.0, 54.0), 3: "W", 4: (89.0, 39.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the test photo really has a position
    return data


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (50, 40), (0, 0, 255, 128)).save(out, format="PNG")
    return out.getvalue()


def _stored(app, two_tenants, photos):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        req = file(photos=photos)
        db.session.commit()
        req_id = req.id
    drain(app)
    with tenant_context(a.id):
        return db.session.scalars(select(Attachment).where(Attachment.request_id == req_id)).all()


def test_gps_is_stripped_and_a_thumbnail_made(app, two_tenants):
    [att] = _stored(app, two_tenants, [PhotoUpload("pothole.jpg", jpeg_with_gps())])
    a, _ = two_tenants
    with tenant_context(a.id):
        att = db.session.get(Attachment, (a.id, att.id))
        stored = Image.open(io.BytesIO(read(att.storage_key)))
        assert stored.format == "JPEG" and stored.size == (1200, 900)
        exif = stored.getexif()
        assert not exif.get_ifd(GPS_IFD) and 0x010F not in exif
        assert att.thumb_key, "the thumbnail job ran"
        thumb = Image.open(io.BytesIO(read(att.thumb_key)))
        assert max(thumb.size) <= 400


def test_content_not_name_decides(app, two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        with pytest.raises(IntakeError) as err:
            file(photos=[PhotoUpload("holiday.jpg", b"%PDF-1.7 not a photo at all")])
        assert err.value.errors[0].field == "media"
        assert "holiday.jpg" in err.value.errors[0].message
        gif = io.BytesIO()
        Image.new("RGB", (10, 10)).save(gif, format="GIF")
        with pytest.raises(IntakeError) as err:
            file(photos=[PhotoUpload("looks-fine.png", gif.getvalue())])
        assert "JPEG, PNG, WebP" in err.value.errors[0].message
        db.session.rollback()
        assert db.session.scalars(select(ServiceRequest)).all() == []


def test_png_named_jpg_is_kept_as_png(app, two_tenants):
    [att] = _stored(app, two_tenants, [PhotoUpload("photo.jpg", png_bytes())])
    assert att.content_type == "image/png" and att.storage_key.endswith(".png")


def test_size_cap(app, two_tenants, monkeypatch):
    monkeypatch.setattr(app.config["CIVIC311"], "max_upload_mb", 1)
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        with pytest.raises(IntakeError) as err:
            file(photos=[PhotoUpload("huge.jpg", b"\xff\xd8\xff" + b"0" * (1024 * 1024 + 1))])
        assert "larger than 1 MB" in err.value.errors[0].message


def test_heic_is_accepted_when_pillow_heif_is_installed(app, two_tenants):
    pillow_heif = pytest.importorskip("pillow_heif")
    out = io.BytesIO()
    try:
        pillow_heif.from_pillow(Image.new("RGB", (64, 48), (10, 120, 10))).save(out, quality=80)
    except Exception as exc:  # no HEVC encoder in this build
        pytest.skip(f"cannot encode HEIC here: {exc}")
    [att] = _stored(app, two_tenants, [PhotoUpload("IMG_0001.HEIC", out.getvalue())])
    assert att.content_type == "image/jpeg"


def test_local_signed_url_serves_only_while_valid_and_only_on_its_city(app, two_tenants):
    [att] = _stored(app, two_tenants, [PhotoUpload("p.jpg", jpeg_with_gps((40, 30)))])
    a, _ = two_tenants
    with app.test_request_context(base_url="http://alpha.localhost"), tenant_context(a.id):
        att = db.session.get(Attachment, (a.id, att.id))
        key = att.storage_key
        url = urlparse(attachment_url(att))
    assert url.netloc == "alpha.localhost"
    path = f"{url.path}?{url.query}"
    ok = city_get(app, "alpha", path)
    assert ok.status_code == 200 and ok.mimetype == "image/jpeg"
    assert city_get(app, "bravo", path).status_code == 404  # another city's host
    assert city_get(app, "alpha", path.replace("s=", "s=0")).status_code == 404  # tampered
    with app.test_request_context():
        expired = int(time.time()) - 5
        sig = storage.sign(key, expired)
    assert city_get(app, "alpha", f"/media/{key}?e={expired}&s={sig}").status_code == 404


@pytest.fixture
def moto_s3(app, monkeypatch):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    import boto3

    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="civic311-media")
    settings = app.config["CIVIC311"]
    monkeypatch.setattr(settings, "s3_bucket", "civic311-media")
    monkeypatch.setattr(settings, "s3_endpoint_url", endpoint)
    app.extensions.pop("civic311_storage", None)
    yield endpoint
    app.extensions.pop("civic311_storage", None)
    server.stop()


def test_s3_storage_against_moto(app, two_tenants, moto_s3):
    [att] = _stored(app, two_tenants, [PhotoUpload("pothole.jpg", jpeg_with_gps())])
    assert not att.storage_key.startswith(LOCAL_PREFIX)
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_s3, region_name="us-east-1")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="civic311-media")["Contents"]}
    a, _ = two_tenants
    with app.test_request_context(), tenant_context(a.id):
        att = db.session.get(Attachment, (a.id, att.id))
        assert {att.storage_key, att.thumb_key} <= keys
        assert att.storage_key.startswith(f"t/{a.id}/")
        url = attachment_url(att)
    assert url.startswith(moto_s3) and ("Signature=" in url or "X-Amz-Signature=" in url)
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200
    assert not Image.open(io.BytesIO(fetched.content)).getexif().get_ifd(GPS_IFD)


def test_s3_down_keeps_the_request_and_moves_the_photo_later(app, two_tenants, moto_s3, monkeypatch):
    settings = app.config["CIVIC311"]
    monkeypatch.setattr(settings, "s3_endpoint_url", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setattr(settings, "redis_url", "")
    app.extensions.pop("civic311_storage", None)
    [att] = _stored(app, two_tenants, [PhotoUpload("pothole.jpg", jpeg_with_gps((80, 60)))])
    assert att.storage_key.startswith(LOCAL_PREFIX) and att.thumb_key is None  # parked; the job failed
    monkeypatch.setattr(settings, "s3_endpoint_url", moto_s3)  # S3 is back
    app.extensions.pop("civic311_storage", None)
    from civic311.jobs import run_job_in_app
    from civic311.platform.models import OutboxMessage

    a, _ = two_tenants
    with tenant_context(a.id):
        message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "thumbnail")).one()
        message_id = str(message.id)
    run_job_in_app(app, "civic311.platform.outbox:deliver", str(a.id), message_id)
    db.session.expire_all()
    with tenant_context(a.id):
        att = db.session.get(Attachment, (a.id, att.id))
        assert not att.storage_key.startswith(LOCAL_PREFIX) and att.thumb_key
        assert not storage.local().exists(att.storage_key)
        assert Image.open(io.BytesIO(storage.get_storage().get(att.storage_key))).size == (80, 60)
