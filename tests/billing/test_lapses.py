"""A lapsed payment never deletes or hides anything; it suspends after a grace period; a cancellation
keeps everything exportable for 90 days, with notices, then deletes the city's data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civic311.admin.retention import run_retention
from civic311.audit import PlatformAuditEvent
from civic311.billing import plans
from civic311.billing.jobs import enforce_grace_periods
from civic311.billing.models import BillingNotice
from civic311.db import db, utcnow
from civic311.platform.models import ServiceRequest
from civic311.tenancy import tenant_context
from tests.billing.helpers import file_pothole, make_city_admin, sign_in
from tests.billing.stripe_fake import fixture
from tests.billing.test_subscription_path import city, post_event
from tests.billing.test_webhooks import subscribed
from tests.conftest import csrf_token_from


def test_past_due_beyond_the_grace_period_makes_the_console_read_only_until_paid(
    app, two_tenants, stripe_fake, client, platform_client
):
    alpha, _ = two_tenants
    admin = make_city_admin(alpha)
    file_pothole(alpha)
    subscribed(alpha, stripe_fake, "past_due")
    post_event(client, app, "invoice.payment_failed", fixture("invoice", tenant_id=alpha.id))
    assert city().status == "past_due"

    assert enforce_grace_periods() == []  # still within the grace period
    city().status_changed_at = utcnow() - timedelta(days=plans.GRACE_DAYS + 1)
    db.session.commit()
    assert enforce_grace_periods() == ["alpha"]
    db.session.commit()
    assert city().status == "suspended"

    sign_in(platform_client, admin)
    page = platform_client.get("/t/alpha/billing/")
    assert page.status_code == 200 and "the console is read-only" in page.text, page.location
    # Ordinary console writes are refused while suspended...
    refused = platform_client.post("/t/alpha/support-access", data={"csrf_token": csrf_token_from(page.text)})
    assert refused.status_code == 403
    # ...but the way out stays open: choosing a plan still reaches Stripe.
    paying = platform_client.post("/t/alpha/billing/plan", data={
        "csrf_token": csrf_token_from(page.text), "plan": "town", "interval": "month"})
    assert paying.status_code in (302, 303) and paying.status_code != 403
    with tenant_context(alpha.id):
        assert db.session.scalar(select(func.count(ServiceRequest.id))) == 1  # nothing hidden

    # Another failed retry does not lift the suspension; a payment does.
    post_event(client, app, "invoice.payment_failed", fixture("invoice", tenant_id=alpha.id))
    assert city().status == "suspended"
    stripe_fake.set_subscription("active")
    post_event(client, app, "invoice.paid", {**fixture("invoice", tenant_id=alpha.id), "status": "paid"})
    assert city().status == "active"


def test_a_trial_that_ends_unpaid_is_suspended(app, two_tenants):
    alpha, bravo = two_tenants
    alpha.trial_ends_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert enforce_grace_periods() == ["alpha"]
    db.session.commit()
    assert city("alpha").status == "suspended" and city("bravo").status == "trial"


def test_a_canceled_city_gets_notices_then_its_data_is_deleted(app, two_tenants):
    alpha, bravo = two_tenants
    make_city_admin(alpha)
    file_pothole(alpha)
    file_pothole(bravo, "Bravo's own pothole")
    alpha = city()
    alpha.status, alpha.canceled_at = "canceled", utcnow() - timedelta(days=10)
    db.session.commit()
    assert run_retention() == {}  # 80 days left: nothing yet

    city().canceled_at = utcnow() - timedelta(days=65)
    db.session.commit()
    assert run_retention() == {"alpha": "notice-30"}
    db.session.commit()
    assert run_retention() == {}  # sent once
    city().canceled_at = utcnow() - timedelta(days=85)
    db.session.commit()
    assert run_retention() == {"alpha": "notice-7"}
    db.session.commit()
    kinds = sorted(n.kind.split("d-")[0] for n in db.session.scalars(select(BillingNotice)))
    assert kinds == ["deletion-30", "deletion-7"]

    city().canceled_at = utcnow() - timedelta(days=plans.RETENTION_DAYS + 1)
    db.session.commit()
    assert run_retention() == {"alpha": "deleted"}
    db.session.commit()
    with tenant_context(alpha.id):
        assert db.session.scalar(select(func.count(ServiceRequest.id))) == 0
    with tenant_context(bravo.id):
        assert db.session.scalar(select(func.count(ServiceRequest.id))) == 1  # the other city untouched
    assert city().status == "canceled"  # the city row stays for the books
    deleted = db.session.scalar(select(PlatformAuditEvent).where(PlatformAuditEvent.action == "tenant.data_deleted"))
    assert deleted.details["service_requests"] == 1
    assert run_retention() == {}


def test_the_last_notice_comes_a_day_before_and_deletion_removes_the_citys_photo_files(app, two_tenants):
    from civic311.platform.models import Attachment
    from civic311.platform.storage import StorageError, get_storage

    alpha, bravo = two_tenants
    make_city_admin(alpha)
    request = file_pothole(alpha)
    kept = file_pothole(bravo, "Bravo's own pothole")
    storage = get_storage()
    files = {}
    for tenant, req, name in ((alpha, request, "alpha"), (bravo, kept, "bravo")):
        with tenant_context(tenant.id):
            key, thumb = f"{tenant.id}/photos/{name}.jpg", f"{tenant.id}/photos/{name}-thumb.jpg"
            storage.put(key, b"\xff\xd8 a photo", "image/jpeg")
            storage.put(thumb, b"\xff\xd8 a thumbnail", "image/jpeg")
            db.session.add(Attachment(request_id=req.id, storage_key=key, thumb_key=thumb, content_type="image/jpeg",
                                      size=10))
            db.session.commit()
            files[name] = (key, thumb)

    alpha = city()
    alpha.status, alpha.canceled_at = "canceled", utcnow() - timedelta(days=plans.RETENTION_DAYS - 1, hours=1)
    db.session.commit()
    assert run_retention() == {"alpha": "notice-1"}
    db.session.commit()
    [notice] = db.session.scalars(select(BillingNotice)).all()
    assert notice.kind.startswith("deletion-1d-") and notice.sent_to == "mayor@alpha.example"
    assert "deleted in 1 days" in notice.subject
    assert run_retention() == {}  # sent once
    assert all(storage.get(k) for k in files["alpha"])  # still there until the day

    city().canceled_at = utcnow() - timedelta(days=plans.RETENTION_DAYS + 1)
    db.session.commit()
    assert run_retention() == {"alpha": "deleted"}
    db.session.commit()
    for key in files["alpha"]:
        with pytest.raises(StorageError):
            storage.get(key)
    assert storage.get(files["bravo"][0]) == b"\xff\xd8 a photo"  # the other city's photos untouched
