"""E-mail through Amazon SES (MAIL_TRANSPORT=ses) with the real boto3 client against moto's server."""

from __future__ import annotations

import json
import urllib.request
from email import message_from_string, policy

import pytest
from sqlalchemy import select

from civic311.db import db
from civic311.platform.models import Delivery, OutboxMessage
from civic311.platform.notifications import mail
from civic311.tenancy import tenant_context
from tests.engines.helpers import drain, file, pothole_category

SENDER = "no-reply@civic311.test"


@pytest.fixture
def moto_ses(monkeypatch):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    _reset(endpoint)  # moto's backends live in the process: start from an empty mailbox
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "MAIL_TRANSPORT": "ses",
                        "SES_REGION": "us-east-1", "SES_ENDPOINT_URL": endpoint}.items():
        monkeypatch.setenv(name, value)
    yield endpoint
    _reset(endpoint)
    server.stop()


def _reset(endpoint: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()


def _verify_sender(endpoint: str) -> None:
    import boto3

    boto3.client("ses", endpoint_url=endpoint, region_name="us-east-1").verify_email_identity(EmailAddress=SENDER)


def _sent(endpoint: str) -> list[dict]:
    """The raw messages moto's SES recorded, read from its own API (/moto-api/data.json)."""
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=10) as response:
        data = json.load(response)
    return data.get("ses", {}).get("RawMessage", [])


def test_a_notification_goes_out_through_ses(app, two_tenants, moto_ses):
    _verify_sender(moto_ses)
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        req = file()
        db.session.commit()
        number = req.number
    drain(app)
    with app.app_context():
        assert mail.transport() == "ses"
    [raw] = _sent(moto_ses)
    assert raw["source"] == "civic311 <no-reply@civic311.test>"
    assert "rosa@example.com" in raw["destinations"]
    message = message_from_string(raw["raw_data"], policy=policy.default)
    assert number in message["Subject"] and message["To"] == "rosa@example.com"
    assert f"Tracking number: {number}" in message.get_body(("plain",)).get_content()
    assert f"<strong>{number}</strong>" in message.get_body(("html",)).get_content()
    assert mail.LOG_OUTBOX == []  # nothing fell back to the log
    with tenant_context(a.id):
        delivery = db.session.scalars(select(Delivery)).one()
        assert (delivery.status, delivery.channel, delivery.provider_id) == ("sent", "email", raw["id"])


def test_send_now_through_ses(app, moto_ses):
    _verify_sender(moto_ses)
    with app.app_context():
        mail.send_now("new.staff@example.gov", "Confirm your address", "Click the link", "<p>Click</p>")
    [raw] = _sent(moto_ses)
    message = message_from_string(raw["raw_data"], policy=policy.default)
    assert message["Subject"] == "Confirm your address" and message["To"] == "new.staff@example.gov"


def test_ses_refusing_the_sender_leaves_the_mail_to_retry(app, two_tenants, moto_ses):
    """SES refuses an unverified sender: nothing is marked sent, the outbox row keeps the error and stays
    pending for the retry, and the request itself is safe."""
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        file()
        db.session.commit()
    drain(app)
    assert _sent(moto_ses) == []
    with tenant_context(a.id):
        assert db.session.scalars(select(Delivery.status)).all() == ["failed"]
        message = db.session.scalars(select(OutboxMessage)).one()
        assert message.status == "pending" and "MessageRejected" in message.last_error
