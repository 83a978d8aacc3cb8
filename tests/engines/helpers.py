"""Shared pieces for the engine tests: a small catalog, a submission maker, a local SMTP sink, and a way
to run whatever jobs are queued (inline mode runs them at commit; with Redis, a burst worker does)."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from civic311.db import db
from civic311.platform.intake import Contact, IntakeSubmission, Location, file_request
from civic311.tenants.catalog import Category, Department

SPRINGFIELD = (39.7817, -89.6501)


def pothole_category(**overrides) -> Category:
    dept = Department(name="Public Works", contact_email="works@example.gov")
    db.session.add(dept)
    db.session.flush()
    values = {"service_code": "pothole", "name": "Pothole", "department_id": dept.id, "sla_value": 2,
                  "sla_unit": "business_days"}
    values.update(overrides)
    cat = Category(**values)
    db.session.add(cat)
    db.session.flush()
    return cat


def submission(**overrides) -> IntakeSubmission:
    values = {"service_code": "pothole", "channel": "portal", "description": "Deep hole by the school gate",
                  "location": Location(lat=SPRINGFIELD[0], lng=SPRINGFIELD[1], address="100 N 5th St"),
                  "contact": Contact(name="Rosa Diaz", email="rosa@example.com")}
    values.update(overrides)
    return IntakeSubmission(**values)


def file(**overrides):
    return file_request(submission(**overrides)).request


def drain(app) -> None:
    """Run queued RQ jobs now (no-op in the inline mode, where they already ran at commit)."""
    settings = app.config["CIVIC311"]
    if not settings.redis_url:
        return
    from rq import SimpleWorker

    import civic311.jobs as jobs_module
    from civic311.jobs import QUEUES, redis_connection

    jobs_module._worker_app = app
    conn = redis_connection(app)
    SimpleWorker(list(QUEUES), connection=conn).work(burst=True, with_scheduler=False)


# --- a local SMTP sink ---------------------------------------------------------------------------

class _SmtpHandler(socketserver.StreamRequestHandler):
    def _say(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        self._say("220 sink ready")
        _mail_from, rcpts = None, []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            verb = raw.decode(errors="replace").strip()
            upper = verb.upper()
            if upper.startswith(("EHLO", "HELO")):
                self._say("250 sink")
            elif upper.startswith("MAIL FROM"):
                _mail_from, rcpts = verb[10:].strip(), []
                self._say("250 OK")
            elif upper.startswith("RCPT TO"):
                rcpts.append(verb[8:].strip().strip("<>"))
                self._say("250 OK")
            elif upper == "DATA":
                self._say("354 go ahead")
                lines = []
                while True:
                    line = self.rfile.readline()
                    if line in (b".\r\n", b".\n", b""):
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                message = message_from_bytes(b"".join(lines), policy=policy.default)
                self.server.messages.append((rcpts, message))
                self._say("250 queued")
            elif upper == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 OK")


class SmtpSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages: list[tuple[list[str], EmailMessage]] = []

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.server_address[1]}"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpts, m in self.messages if address in rcpts]


@contextlib.contextmanager
def smtp_sink():
    sink = SmtpSink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        sink.shutdown()
        sink.server_close()


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def city_get(app, slug: str, path: str, **kw):
    """GET on a city's host (base_url, not environ_base: werkzeug's builder overrides HTTP_HOST)."""
    return app.test_client().get(path, base_url=f"http://{slug}.localhost", **kw)


def city_client(app, slug: str):
    client = app.test_client()
    client.base = f"http://{slug}.localhost"
    return client
