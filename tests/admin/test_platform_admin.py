"""A platform admin finds, suspends, reactivates and supports a city; each step audited."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from civic311.accounts.models import OperatorOrg, User
from civic311.accounts.service import grant_contract
from civic311.audit import AuditEvent, PlatformAuditEvent
from civic311.billing.entitlements import has_feature
from civic311.billing.models import StripeEvent
from civic311.db import db, utcnow
from civic311.tenancy import all_tenants, tenant_context
from tests.billing.helpers import (
    drain_jobs,
    file_pothole,
    forget_request_user,
    make_city_admin,
    make_platform_admin,
    sign_in,
)
from tests.billing.stripe_fake import fixture
from tests.billing.test_subscription_path import city, post_event
from tests.billing.test_webhooks import subscribed
from tests.conftest import csrf_token_from


def get(client, path):
    forget_request_user()
    return client.get(path)


def post(client, path, data, page_path=None):
    forget_request_user()
    page = client.get(page_path or path)
    forget_request_user()
    return client.post(path, data={"csrf_token": csrf_token_from(page.text), **data})


def platform_actions(action: str) -> list[PlatformAuditEvent]:
    return db.session.scalars(select(PlatformAuditEvent).where(PlatformAuditEvent.action == action)).all()


def city_actions(tenant, action: str) -> list[AuditEvent]:
    with tenant_context(tenant.id):
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


@pytest.fixture
def ops(app, two_tenants, platform_client):
    admin = make_platform_admin()
    sign_in(platform_client, admin)
    return admin


def test_only_platform_admins_with_two_factor_see_the_admin(app, two_tenants, platform_client):
    alpha, _ = two_tenants
    assert get(platform_client, "/admin/").status_code == 404
    sign_in(platform_client, make_city_admin(alpha))
    assert get(platform_client, "/admin/cities").status_code == 404
    no_totp = make_platform_admin("new-ops@civic311.example")
    no_totp.totp_enabled_at = None
    db.session.commit()
    sign_in(platform_client, no_totp)
    assert get(platform_client, "/admin/cities").status_code == 404


def test_find_a_city_and_see_its_status_plan_usage_and_activity(app, two_tenants, ops, platform_client):
    alpha, _ = two_tenants
    make_city_admin(alpha)
    file_pothole(alpha)
    alpha = city()
    alpha.plan_code, alpha.billing_email = "city", "treasurer@alphaville.example"
    db.session.commit()
    page = get(platform_client, "/admin/cities?q=treasurer")
    assert "Alphaville" in page.text and "Bravotown" not in page.text
    assert "city" in page.text  # plan
    page = get(platform_client, "/admin/cities?status=trial")
    assert "Alphaville" in page.text and "Bravotown" in page.text
    detail = get(platform_client, "/admin/cities/alpha")
    assert detail.status_code == 200
    assert "1 requests this month, 1 staff seats" in detail.text
    assert get(platform_client, "/admin/cities/nowhere").status_code == 404
    figures = get(platform_client, "/admin/")
    assert figures.status_code == 200 and "Trial: <strong>2</strong>" in figures.text


def test_suspend_and_reactivate_with_a_reason_each_audited(app, two_tenants, ops, platform_client, stripe_fake,
                                                             client):
    alpha, _ = two_tenants
    city_admin = make_city_admin(alpha)
    subscribed(alpha, stripe_fake, "active")
    refused = post(platform_client, "/admin/cities/alpha/suspend", {"reason": ""}, "/admin/cities/alpha")
    assert refused.status_code == 302 and city().status == "trial"

    post(platform_client, "/admin/cities/alpha/suspend", {"reason": "Abuse report #4411: spam in the portal"},
         "/admin/cities/alpha")
    assert city().status == "suspended"
    [event] = platform_actions("tenant.suspended")
    assert event.actor_label.startswith("Pat Platform") and "Abuse report #4411" in event.details["reason"]
    assert event.subject_tenant_id == alpha.id
    assert city_actions(alpha, "tenant.suspended")  # the city sees it in its own log too

    # A payment does not lift a platform suspension.
    post_event(client, app, "invoice.paid", {**fixture("invoice", tenant_id=alpha.id), "status": "paid"})
    assert city().status == "suspended"
    # The city's console is read-only meanwhile.
    sign_in(platform_client, city_admin)
    page = get(platform_client, "/t/alpha/support-access")
    forget_request_user()
    assert platform_client.post("/t/alpha/support-access", data={
        "csrf_token": csrf_token_from(page.text), "hours": "4"}).status_code == 403

    sign_in(platform_client, ops)
    post(platform_client, "/admin/cities/alpha/reactivate", {"reason": "Spam removed, owner contacted"},
         "/admin/cities/alpha")
    assert city().status == "active"
    assert platform_actions("tenant.reactivated")[0].details["status"] == "active"
    audit = get(platform_client, "/admin/audit?q=tenant.")
    assert "tenant.suspended" in audit.text and "tenant.reactivated" in audit.text


def test_extend_a_trial(app, two_tenants, ops, platform_client):
    alpha, _ = two_tenants
    before = city().trial_ends_at
    post(platform_client, "/admin/cities/alpha/extend-trial",
         {"trial-days": "14", "trial-reason": "Council vote next week"}, "/admin/cities/alpha")
    assert city().trial_ends_at - before > timedelta(days=13, hours=23)
    assert platform_actions("tenant.trial_extended")[0].details["days"] == 14


def test_support_access_only_when_the_city_allows_it_with_a_banner_and_audited(
    app, two_tenants, ops, platform_client
):
    alpha, _ = two_tenants
    city_admin = make_city_admin(alpha)
    assert get(platform_client, "/t/alpha/billing/").status_code == 404  # not allowed: as if absent
    assert get(platform_client, "/t/alpha/support-access").status_code == 404

    sign_in(platform_client, city_admin)
    response = post(platform_client, "/t/alpha/support-access", {"hours": "4"})
    assert response.status_code == 302
    assert city().support_access_until > utcnow() + timedelta(hours=3)
    assert city_actions(alpha, "support_access.granted")[0].actor_label.startswith("Ada Mayor")

    sign_in(platform_client, ops)
    detail = get(platform_client, "/admin/cities/alpha")
    assert "Enter the city" in detail.text
    inside = get(platform_client, "/t/alpha/billing/")
    assert inside.status_code == 200
    assert "Platform support access" in inside.text and "recorded under your own name" in inside.text
    # Support cannot extend its own access.
    assert post(platform_client, "/t/alpha/support-access", {"hours": "72"}, "/t/alpha/billing/").status_code == 403
    # What support does is recorded under their own name, marked as support.
    post(platform_client, "/t/alpha/export", {})
    [requested] = city_actions(alpha, "export.requested")
    assert requested.support_access and "Pat Platform" in requested.actor_label

    # The city ends it; support is out at once.
    sign_in(platform_client, city_admin)
    post(platform_client, "/t/alpha/support-access/end", {}, "/t/alpha/support-access")
    sign_in(platform_client, ops)
    assert get(platform_client, "/t/alpha/billing/").status_code == 404


def set_plan(slug: str, code: str) -> None:
    tenant = city(slug)
    tenant.plan_code, tenant.status = code, "active"
    db.session.commit()


def test_feature_switches_per_city_win_over_the_plan(app, two_tenants, ops, platform_client):
    set_plan("alpha", "town")  # Town has no custom domain
    assert not has_feature(city(), "custom_domain")
    post(platform_client, "/admin/cities/alpha/flags", {"flag-name": "custom_domain", "flag-enabled": "on"},
         "/admin/cities/alpha")
    assert city().feature_flags == {"custom_domain": True} and has_feature(city(), "custom_domain")
    assert city("bravo").feature_flags == {}
    page = get(platform_client, "/admin/cities/alpha").get_data(as_text=True)
    assert 'data-feature="custom_domain"' in page and "Remove the switch for Your own domain" in page
    post(platform_client, "/admin/cities/alpha/flags", {"flag-name": "open311_api", "flag-enabled": "off"},
         "/admin/cities/alpha")
    assert not has_feature(city(), "open311_api")  # the plan includes it; the switch takes it away
    post(platform_client, "/admin/cities/alpha/flags", {"flag-name": "no_such_feature", "flag-enabled": "on"},
         "/admin/cities/alpha")
    assert "no_such_feature" not in city().feature_flags
    post(platform_client, "/admin/cities/alpha/flags/custom_domain/remove", {}, "/admin/cities/alpha")
    post(platform_client, "/admin/cities/alpha/flags/open311_api/remove", {}, "/admin/cities/alpha")
    assert city().feature_flags == {}
    assert not has_feature(city(), "custom_domain") and has_feature(city(), "open311_api")
    assert [e.details["flag"] for e in platform_actions("tenant.feature_flag")] == ["custom_domain", "open311_api"]


def test_platform_admin_builds_and_downloads_a_citys_export(app, two_tenants, ops, platform_client):
    alpha, _ = two_tenants
    file_pothole(alpha, "Streetlight out on Elm")
    post(platform_client, "/admin/cities/alpha/exports", {}, "/admin/cities/alpha")
    drain_jobs(app)
    detail = get(platform_client, "/admin/cities/alpha")
    link = detail.text.split('href="/admin/cities/alpha/exports/')[1].split('"')[0]
    download = get(platform_client, f"/admin/cities/alpha/exports/{link}")
    assert download.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    assert "data/service_requests.csv" in names and "manifest.json" in names
    assert platform_actions("export.downloaded")


def test_operator_organizations_create_invite_and_contracts(app, two_tenants, ops, platform_client):
    alpha, _ = two_tenants
    response = post(platform_client, "/admin/operators", {"name": "Prairie Contact Center", "slug": "prairie"})
    assert response.status_code == 302
    org = db.session.scalar(select(OperatorOrg).where(OperatorOrg.slug == "prairie"))
    with tenant_context(alpha.id):
        grant_contract(org, phone_line="+1 217 555 0311")
        db.session.commit()
    path = f"/admin/operators/{org.id}"
    post(platform_client, path, {"name": "Olive Operator", "email": "olive@prairie.example"})
    invited = db.session.scalar(select(User).where(User.email == "olive@prairie.example"))
    assert invited.operator_org_id == org.id and invited.operator_role == "admin" and invited.needs_totp
    page = get(platform_client, path)
    assert "Olive Operator" in page.text and "Alphaville" in page.text and "+1 217 555 0311" in page.text
    assert platform_actions("operator_org.admin_invited")


def test_failed_webhooks_are_listed_and_retried(app, two_tenants, ops, platform_client, stripe_fake, client):
    alpha, _ = two_tenants
    stripe_fake.for_tenant(alpha.id)
    post_event(client, app, "invoice.paid", {**fixture("invoice", tenant_id=alpha.id), "customer": "cus_Later"})
    page = get(platform_client, "/admin/webhooks")
    assert "invoice.paid" in page.text and "no city" in page.text
    alpha = city()
    alpha.stripe_customer_id = "cus_Later"
    db.session.commit()
    event = db.session.scalar(select(StripeEvent))
    post(platform_client, f"/admin/webhooks/{event.id}/retry", {}, "/admin/webhooks")
    drain_jobs(app)
    db.session.expire_all()
    assert db.session.get(StripeEvent, event.id).status == "processed"
    assert city().status == "active"
    assert platform_actions("stripe_event.retried")


def test_failed_rq_jobs_are_listed_and_retried(app, two_tenants, ops, platform_client):
    if not app.config["CIVIC311"].redis_url:
        pytest.skip("RQ's registries exist only with REDIS_URL (run with CIVIC311_TEST_REDIS=1)")
    from rq import SimpleWorker

    from civic311.jobs import redis_connection, rq_queue

    queue = rq_queue(app, "default")
    job = queue.enqueue("civic311.jobs.resolve", "civic311.nowhere:nothing")
    SimpleWorker([queue], connection=redis_connection(app)).work(burst=True)
    page = get(platform_client, "/admin/webhooks")
    assert job.id in page.text
    post(platform_client, f"/admin/jobs/default/{job.id}/retry", {}, "/admin/webhooks")
    assert job.id in queue.get_job_ids()
    assert platform_actions("job.retried")


def test_audit_search_spans_cities_and_the_platform(app, two_tenants, ops, platform_client):
    alpha, bravo = two_tenants
    make_city_admin(bravo, email="mayor@bravo.example", name="Bea Mayor")
    page = get(platform_client, "/admin/audit?q=membership")
    assert "membership.granted" in page.text and "<td>bravo</td>" in page.text and "<td>city</td>" in page.text
    page = get(platform_client, "/admin/audit?city=alpha")
    assert "tenant.created" in page.text and "membership.granted" not in page.text
    with all_tenants(reason="test"):
        assert db.session.scalars(select(AuditEvent)).all()


def test_reactivation_follows_the_subscription_re_read_from_stripe(app, two_tenants, ops, platform_client,
                                                                    stripe_fake):
    alpha, _ = two_tenants
    subscribed(alpha, stripe_fake, "active")
    # Not suspended: refused with a message, nothing changes.
    post(platform_client, "/admin/cities/alpha/reactivate", {"reason": "Nothing to lift"}, "/admin/cities/alpha")
    assert city().status == "trial" and not platform_actions("tenant.reactivated")
    page = get(platform_client, "/admin/cities/alpha")
    assert "Only a suspended city can be reactivated." in page.text

    # Suspended while the subscription was canceled in Stripe: it comes back canceled, not active,
    # and keeps its cancellation date (the deletion schedule still runs from it).
    canceled_at = utcnow().replace(microsecond=0) - timedelta(days=3)
    alpha = city()
    alpha.canceled_at = canceled_at
    db.session.commit()
    post(platform_client, "/admin/cities/alpha/suspend", {"reason": "Chargeback dispute"}, "/admin/cities/alpha")
    stripe_fake.set_subscription("canceled", canceled_at=int(canceled_at.timestamp()))
    stripe_fake.calls.clear()
    post(platform_client, "/admin/cities/alpha/reactivate", {"reason": "Dispute settled"}, "/admin/cities/alpha")
    assert stripe_fake.calls_to("GET", r"/v1/subscriptions/sub_1QxSpringfield")  # re-read, not assumed
    assert city().status == "canceled"
    assert city().canceled_at.replace(tzinfo=None) == canceled_at.replace(tzinfo=None)
    assert platform_actions("tenant.reactivated")[0].details["status"] == "canceled"

    # Suspended while past due in Stripe: back to past_due (a fresh grace period), not active.
    alpha = city()
    alpha.canceled_at = None
    db.session.commit()
    post(platform_client, "/admin/cities/alpha/suspend", {"reason": "Abuse report #4412"}, "/admin/cities/alpha")
    stripe_fake.set_subscription("past_due", canceled_at=None)
    post(platform_client, "/admin/cities/alpha/reactivate", {"reason": "Abuse handled"}, "/admin/cities/alpha")
    assert city().status == "past_due"

    # Stripe unreachable: refused with a clear message, the city stays suspended.
    post(platform_client, "/admin/cities/alpha/suspend", {"reason": "Abuse report #4413"}, "/admin/cities/alpha")
    stripe_fake.down = True
    post(platform_client, "/admin/cities/alpha/reactivate", {"reason": "Abuse handled"}, "/admin/cities/alpha")
    assert city().status == "suspended"
    assert "Stripe could not be asked" in get(platform_client, "/admin/cities/alpha").text


def test_extending_a_trialing_subscription_moves_stripes_trial_end_and_a_later_webhook_keeps_it(
    app, two_tenants, ops, platform_client, stripe_fake, client
):
    alpha, _ = two_tenants
    subscribed(alpha, stripe_fake, "trialing")
    old_end = int((utcnow() + timedelta(days=5)).timestamp())
    stripe_fake.set_subscription("trialing", trial_end=old_end)
    post_event(client, app, "customer.subscription.updated", stripe_fake.subscription)
    assert int(city().trial_ends_at.timestamp()) == old_end

    post(platform_client, "/admin/cities/alpha/extend-trial",
         {"trial-days": "14", "trial-reason": "Council vote next week"}, "/admin/cities/alpha")
    [update] = stripe_fake.calls_to("POST", r"/v1/subscriptions/sub_1QxSpringfield")
    new_end = int(update.params["trial_end"])
    assert new_end - old_end == 14 * 86400 and update.params["proration_behavior"] == "none"
    assert int(city().trial_ends_at.timestamp()) == new_end

    # Stripe's next word about the subscription no longer undoes the extension.
    post_event(client, app, "customer.subscription.updated", stripe_fake.subscription)
    assert int(city().trial_ends_at.timestamp()) == new_end
    assert city().status == "trial"

    # A paying subscription has no trial to extend: refused, Stripe untouched.
    stripe_fake.set_subscription("active")
    stripe_fake.calls.clear()
    post(platform_client, "/admin/cities/alpha/extend-trial",
         {"trial-days": "7", "trial-reason": "Asked nicely"}, "/admin/cities/alpha")
    assert not stripe_fake.calls_to("POST", r"/v1/subscriptions/.*")
    assert "no trial to extend" in get(platform_client, "/admin/cities/alpha").text


def test_retrying_a_job_without_redis_says_why_instead_of_failing(app, two_tenants, ops, platform_client):
    if app.config["CIVIC311"].redis_url:
        pytest.skip("about the inline mode (no REDIS_URL)")
    response = post(platform_client, "/admin/jobs/default/0b7e1c52-job/retry", {}, "/admin/webhooks")
    assert response.status_code == 302
    page = get(platform_client, "/admin/webhooks")
    assert "no Redis is configured" in page.text
    assert not platform_actions("job.retried")


def test_each_support_visit_is_recorded_once_in_the_citys_log_under_the_admins_name(
    app, two_tenants, ops, platform_client
):
    alpha, bravo = two_tenants
    city_admin = make_city_admin(alpha)
    sign_in(platform_client, city_admin)
    post(platform_client, "/t/alpha/support-access", {"hours": "4"})
    sign_in(platform_client, ops)

    assert get(platform_client, "/t/alpha/billing/").status_code == 200
    assert get(platform_client, "/t/alpha/export").status_code == 200
    assert get(platform_client, "/t/alpha/billing/").status_code == 200
    [entered] = city_actions(alpha, "support_access.entered")  # one row for the visit, not one per page
    assert entered.actor_label.startswith("Pat Platform") and entered.support_access
    assert entered.actor_user_id == ops.id and entered.details["path"] == "/t/alpha/billing/"
    assert not city_actions(bravo, "support_access.entered")
    assert entered.target_id == str(alpha.id)  # in the city's own audit log, about the city

    # A new grant is a new visit.
    sign_in(platform_client, city_admin)
    post(platform_client, "/t/alpha/support-access/end", {}, "/t/alpha/support-access")
    post(platform_client, "/t/alpha/support-access", {"hours": "24"})
    assert not [e for e in city_actions(alpha, "support_access.entered") if e.actor_user_id == city_admin.id]
    sign_in(platform_client, ops)
    get(platform_client, "/t/alpha/billing/")
    assert len(city_actions(alpha, "support_access.entered")) == 2

    # Another platform admin entering in the same window is their own visit, under their own name.
    other = make_platform_admin("sam@civic311.example", "Sam Support")
    sign_in(platform_client, other)
    get(platform_client, "/t/alpha/billing/")
    labels = sorted(e.actor_label for e in city_actions(alpha, "support_access.entered"))
    assert len(labels) == 3 and labels[-1].startswith("Sam Support")
