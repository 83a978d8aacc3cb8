"""E-mail and SMS to reporters and followers: once each, in their language, never for anonymous reports."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civic311.db import db
from civic311.jobs import run_job_in_app
from civic311.platform import lifecycle
from civic311.platform.intake import Contact
from civic311.platform.models import Delivery, OutboxMessage
from civic311.platform.notifications import mail, sms
from civic311.platform.notifications.notifier import EmailNotifier
from civic311.tenancy import tenant_context
from tests.engines.helpers import drain, file, pothole_category, text_of


def test_reporter_gets_received_mail_with_tracking_number(app, two_tenants, sink):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        req = file()
        db.session.commit()
        number = req.number
    drain(app)
    [message] = sink.to("rosa@example.com")
    assert number in message["Subject"]
    body = text_of(message)
    assert f"Tracking number: {number}" in body
    assert "Hello Rosa Diaz" in body
    assert "http://alpha.localhost/requests/" + number in body
    html = message.get_body(("html",)).get_content()
    assert f"<strong>{number}</strong>" in html
    with tenant_context(a.id):
        assert [m.status for m in db.session.scalars(select(OutboxMessage))] == ["done"]


def test_spanish_reporter_reads_spanish(app, two_tenants, sink):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        req = file(locale="es", contact=Contact(name="Ana", email="ana@example.com"))
        db.session.commit()
        number = req.number
    drain(app)
    [message] = sink.to("ana@example.com")
    assert message["Subject"] == f"Alphaville: recibimos su reporte {number}"
    assert "Número de seguimiento" in text_of(message)


def test_status_change_and_closure_say_it_in_plain_words(app, two_tenants, sink):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        req = file()
        db.session.commit()
        drain(app)
        lifecycle.set_status(req, "in_progress", message="A crew is booked for Tuesday.")
        db.session.commit()
        drain(app)
        lifecycle.close(req, "resolved", note="Filled with hot asphalt.")
        db.session.commit()
        drain(app)
    subjects = [m["Subject"] for m in sink.to("rosa@example.com")]
    assert len(subjects) == 3
    progress, closed = sink.to("rosa@example.com")[1:]
    assert "in progress: work is under way" in text_of(progress)
    assert "A crew is booked for Tuesday." in text_of(progress)
    closed_text = text_of(closed)
    assert "Reason: the problem was fixed" in closed_text
    assert "Filled with hot asphalt." in closed_text
    assert "http://alpha.localhost/survey/" in closed_text  # the survey link goes to the reporter


def test_anonymous_reports_notify_nobody(app, two_tenants, sink):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        file(anonymous=True, contact=Contact(email="secret@example.com"))
        file(contact=Contact())
        db.session.commit()
        assert db.session.scalars(select(OutboxMessage)).all() == []
    drain(app)
    assert sink.messages == []


def test_followers_are_told_but_not_the_unsubscribed(app, two_tenants, sink):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        req = file()
        db.session.commit()
        drain(app)
        lifecycle.follow(req, "Neighbour@Example.com", locale="es")
        gone = lifecycle.follow(req, "gone@example.com")
        gone.unsubscribed_at = req.requested_at
        lifecycle.public_reply(req, "We will fill it this week.")
        db.session.commit()
        drain(app)
    [reply] = sink.to("neighbour@example.com")
    assert "respondió" in reply["Subject"]
    assert "We will fill it this week." in text_of(reply)
    assert sink.to("gone@example.com") == []
    assert len(sink.to("rosa@example.com")) == 2


def test_a_user_text_cannot_inject_html(app, two_tenants, sink):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        req = file()
        db.session.commit()
        lifecycle.public_reply(req, "<script>alert(1)</script> & more")
        db.session.commit()
        drain(app)
    reply = sink.to("rosa@example.com")[-1]
    html = reply.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>alert(1)</script> & more" in text_of(reply)  # plain text stays as typed


def test_retried_job_sends_each_mail_once(app, two_tenants, sink, monkeypatch, settings):
    """The handler sends to one person, then fails; the retry (and a duplicate run, and the sweep) serve
    only the one not yet served."""
    a, _ = two_tenants
    monkeypatch.setattr(settings, "redis_url", "")  # run the job by hand, as RQ's retry would
    real_send = EmailNotifier.send
    calls = {"n": 0}

    def flaky(self, recipient, message):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionResetError("the SMTP server went away after the first e-mail")
        return real_send(self, recipient, message)

    with tenant_context(a.id):
        pothole_category()
        req = file()
        db.session.flush()
        lifecycle.follow(req, "neighbour@example.com")
        monkeypatch.setattr(EmailNotifier, "send", flaky)
        db.session.commit()  # the inline job runs now and fails after its first e-mail
        message = db.session.scalars(select(OutboxMessage)).one()
        assert message.status == "pending" and message.last_error
        message_id, tenant_id = str(message.id), a.id
    assert len(sink.messages) == 1
    run_job_in_app(app, "civic311.platform.outbox:deliver", str(tenant_id), message_id)  # the retry
    run_job_in_app(app, "civic311.platform.outbox:deliver", str(tenant_id), message_id)  # and a duplicate run
    with tenant_context(a.id):
        from civic311.platform import outbox

        outbox.deliver(a.id, message_id)  # the sweep finding it too
    assert len(sink.to("rosa@example.com")) == 1
    assert len(sink.to("neighbour@example.com")) == 1
    with tenant_context(a.id):
        assert {d.status for d in db.session.scalars(select(Delivery))} == {"sent"}


def test_sms_goes_to_a_twilio_style_provider(app, two_tenants, settings, monkeypatch):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from urllib.parse import parse_qs

    received = []

    class Provider(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((self.path, self.headers.get("Authorization"), parse_qs(body)))
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"sid": "SM123"}).encode())

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        monkeypatch.setattr(settings, "sms_url", f"http://AC1:tok@127.0.0.1:{port}/Accounts/AC1/Messages.json")
        a = two_tenants[0].id
        with tenant_context(a):
            pothole_category()
            req = file(contact=Contact(phone="+12175550100"))
            db.session.commit()
            number = req.number
        drain(app)
    finally:
        server.shutdown()
        server.server_close()
    [(path, auth, form)] = received
    assert path == "/Accounts/AC1/Messages.json" and auth.startswith("Basic ")
    assert form["To"] == ["+12175550100"]
    assert number in form["Body"][0]
    with tenant_context(a):
        assert db.session.scalars(select(Delivery)).one().provider_id == "SM123"


def test_without_smtp_mail_goes_to_the_log(app, two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        file()
        db.session.commit()
    drain(app)
    assert [m["To"] for m in mail.LOG_OUTBOX] == ["rosa@example.com"]
    assert sms.LOG_OUTBOX == []


def test_send_now_uses_smtp(app, sink):
    with app.app_context():
        mail.send_now("new.staff@example.gov", "Confirm your address", "Click the link", "<p>Click</p>")
    [message] = sink.to("new.staff@example.gov")
    assert message["Subject"] == "Confirm your address"


@pytest.mark.parametrize("template", ["received", "status_changed", "reply", "closed", "survey", "escalated"])
def test_every_message_has_all_parts_in_both_languages(template):
    from civic311.platform.notifications.render import TEMPLATE_DIR

    for locale in ("en", "es"):
        for part in ("subject.txt", "body.txt", "body.html", "sms.txt"):
            assert (TEMPLATE_DIR / template / locale / part).is_file(), (template, locale, part)


def test_a_reporter_with_only_a_phone_gets_the_survey_by_text_once(app, two_tenants):
    from civic311.platform.surveys import answer_survey

    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        req = file(locale="es", contact=Contact(name="Luis", phone="+12175550123"))
        db.session.commit()
        drain(app)
        lifecycle.close(req, "resolved")
        db.session.commit()
        drain(app)
        texts = [m["body"] for m in sms.LOG_OUTBOX if m["to"] == "+12175550123"]
        assert len(texts) == 3  # received, closed, survey
        [survey] = [t for t in texts if "¿cómo atendimos" in t]
        assert survey.startswith(f"Alphaville: ¿cómo atendimos {req.number}? http://alpha.localhost/survey/")
        token = survey.rsplit("/survey/", 1)[1]
        # Reopened and closed again: a new closure text, but the survey link is not sent twice.
        lifecycle.reopen(req, "Sigue ahí", by_reporter=True)
        db.session.commit()
        drain(app)
        lifecycle.close(req, "resolved")
        db.session.commit()
        drain(app)
        [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"survey:{req.id}"))
        run_job_in_app(app, "civic311.platform.outbox:deliver", str(a.id), str(message.id))  # a retried job
        assert answer_survey(token, 5, "Rápido").score == 5
        db.session.commit()
    texts = [m["body"] for m in sms.LOG_OUTBOX if m["to"] == "+12175550123"]
    assert sum("¿cómo atendimos" in t for t in texts) == 1
    assert sum("cerrado" in t for t in texts) == 2
    assert mail.LOG_OUTBOX == []


def test_an_email_reporter_gets_no_survey_text(app, two_tenants, sink):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        req = file(contact=Contact(email="rosa@example.com", phone="+12175550100"))
        db.session.commit()
        lifecycle.close(req, "resolved")
        db.session.commit()
        drain(app)
    assert sms.LOG_OUTBOX == []  # e-mail when we have it; the survey link is in the closure e-mail
    assert "http://alpha.localhost/survey/" in text_of(sink.to("rosa@example.com")[-1])


def _resident(**preferences):
    from civic311.accounts.models import ResidentAccount

    account = ResidentAccount(email="sam@example.com", name="Sam", password_hash="x", phone="+12175550199",
                              **preferences)
    db.session.add(account)
    db.session.flush()
    return account


@pytest.mark.parametrize(("notify_email", "notify_sms", "mails", "texts"), [
    (True, False, 2, 0), (False, True, 0, 3), (True, True, 2, 2), (False, False, 0, 0)])
def test_a_signed_in_residents_preferences_decide_the_channels(app, two_tenants, sink, notify_email, notify_sms,
                                                               mails, texts):
    """Filed signed in with an e-mail: received and closed by e-mail only when the account wants e-mail,
    by text (to the account's phone; plus the survey link when no e-mail carries it) only when it wants
    texts."""
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        account = _resident(notify_email=notify_email, notify_sms=notify_sms)
        req = file(contact=Contact(name="Sam", email="sam@example.com"), resident_account_id=account.id)
        db.session.commit()
        drain(app)
        lifecycle.close(req, "resolved")
        db.session.commit()
        drain(app)
    assert len(sink.to("sam@example.com")) == mails
    assert len([m for m in sms.LOG_OUTBOX if m["to"] == "+12175550199"]) == texts


def test_a_changed_preference_applies_to_the_next_message(app, two_tenants, sink):
    from civic311.accounts.models import ResidentAccount

    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        account = _resident(notify_email=True, notify_sms=False)
        req = file(contact=Contact(name="Sam", email="sam@example.com"), resident_account_id=account.id)
        db.session.commit()
        drain(app)
        lifecycle.follow(req, "neighbour@example.com")
        db.session.get(ResidentAccount, (a.id, account.id)).notify_email = False
        lifecycle.public_reply(req, "Crew booked.")
        db.session.commit()
        drain(app)
    assert len(sink.to("sam@example.com")) == 1  # the receipt only
    assert len(sink.to("neighbour@example.com")) == 1  # a follower's e-mail does not depend on Sam's account
