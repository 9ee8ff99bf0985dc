"""Outgoing mail against a real SMTP server (aiosmtpd on 127.0.0.1): `cadenza mail test`
in clear, through STARTTLS with a password, and the server's refusals as the user sees them."""
import socket
import ssl
import threading
from email import message_from_bytes, policy

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from conftest import free_port


class Sink:
    """Keeps what it is sent; `rcpt_reply` makes it refuse recipients with that reply."""

    def __init__(self, rcpt_reply=None):
        self.messages = []
        self.rcpt_reply = rcpt_reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, session.authenticated))
        return "250 2.0.0 queued as ABC123"


def start(handler, **kwargs):
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


def test_a_test_message_arrives_whole(deployment):
    sink = Sink()
    smtp = start(sink)
    try:
        r = deployment.run("mail", "test", "ann@example.org", CADENZA_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
                           CADENZA_MAIL_FROM="Cadenza Radio <radio@cadenza.example>")
        assert r.returncode == 0, r.stderr
        assert "queued as ABC123" in r.stdout and "ann@example.org" in r.stdout
    finally:
        smtp.stop()
    [(sender, recipients, raw, _)] = sink.messages
    assert sender == "radio@cadenza.example" and recipients == ["ann@example.org"]
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "Cadenza: a test message ✓"
    assert message["From"].addresses[0].display_name == "Cadenza Radio"
    assert message["Auto-Submitted"] == "auto-generated" and message["Message-ID"].endswith("@cadenza.example>")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    # The line that is a lone dot would have ended the data early without dot-stuffing.
    assert "\n.\n" in text.replace("\r\n", "\n") and text.rstrip().endswith("notifications and digests.")
    assert "<p>This is a test message" in html
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))


def test_starttls_and_a_password(deployment, tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))

    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"mailer" and auth_data.password == b"s3cret:pw"
        return AuthResult(success=ok, handled=False)

    sink = Sink()
    smtp = start(sink, tls_context=context, require_starttls=True, authenticator=check, auth_require_tls=True)
    try:
        url = f"smtp://mailer:s3cret%3Apw@127.0.0.1:{smtp.port}"
        env = dict(CADENZA_MAIL_FROM="radio@cadenza.example", CADENZA_SMTP_CA_FILE=str(ca_file))
        r = deployment.run("mail", "test", "ann@example.org", CADENZA_SMTP_URL=url, **env)
        assert r.returncode == 0, r.stderr
        assert len(sink.messages) == 1 and sink.messages[0][3], "sent after STARTTLS, authenticated"
        # A certificate the client does not trust: nothing is sent, the password included.
        r = deployment.run("mail", "test", "ann@example.org", CADENZA_SMTP_URL=url, CADENZA_MAIL_FROM="radio@cadenza.example")
        assert r.returncode != 0 and "TLS" in r.stderr, r.stderr
        # A wrong password: the server's refusal, as it said it.
        r = deployment.run("mail", "test", "ann@example.org", CADENZA_SMTP_URL=url.replace("s3cret", "wrong"), **env)
        assert r.returncode != 0 and "AUTH" in r.stderr and "535" in r.stderr, r.stderr
        assert len(sink.messages) == 1
    finally:
        smtp.stop()


def test_no_password_goes_in_clear(deployment):
    sink = Sink()
    smtp = start(sink)
    try:
        r = deployment.run("mail", "test", "ann@example.org", CADENZA_SMTP_URL=f"smtp://mailer:pw@127.0.0.1:{smtp.port}",
                           CADENZA_MAIL_FROM="radio@cadenza.example")
        assert r.returncode != 0 and "STARTTLS" in r.stderr, r.stderr
        assert sink.messages == []
    finally:
        smtp.stop()


@pytest.mark.parametrize("reply,permanent", [("550 5.1.1 No such user here", True), ("450 4.2.1 Mailbox busy, try later", False)])
def test_a_refused_recipient_is_reported(deployment, reply, permanent):
    smtp = start(Sink(rcpt_reply=reply))
    try:
        r = deployment.run("mail", "test", "nobody@example.org", CADENZA_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
                           CADENZA_MAIL_FROM="radio@cadenza.example")
    finally:
        smtp.stop()
    assert r.returncode != 0
    assert reply in r.stderr and "RCPT TO nobody@example.org" in r.stderr
    assert ("try again later" in r.stderr) != permanent


def test_settings_are_checked_before_anything_is_sent(deployment):
    r = deployment.run("mail", "test", "ann@example.org", CADENZA_SMTP_URL="smtp://127.0.0.1:2525")
    assert r.returncode != 0 and "CADENZA_MAIL_FROM" in r.stderr
    r = deployment.run("mail", "test", "ann@example.org", CADENZA_SMTP_URL="http://mail.example.org", CADENZA_MAIL_FROM="a@b.org")
    assert r.returncode != 0 and "smtp or smtps" in r.stderr
    r = deployment.run("mail", "test", "not an address", CADENZA_SMTP_URL="smtp://127.0.0.1:2525", CADENZA_MAIL_FROM="a@b.org")
    assert r.returncode != 0 and "not a mail address" in r.stderr


def test_replies_sent_ahead_of_the_tls_handshake_are_refused(deployment):
    """A man in the middle appends replies after the 220 to STARTTLS (CVE-2011-0411's class): the
    client must not take them for the encrypted server's, and sends nothing."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    heard = []

    def serve():
        conn, _ = listener.accept()
        with conn:
            f = conn.makefile("rb")
            conn.sendall(b"220 mail.example ESMTP\r\n")
            while line := f.readline():
                heard.append(line)
                if line.upper().startswith(b"EHLO"):
                    conn.sendall(b"250-mail.example\r\n250 STARTTLS\r\n")
                elif line.upper().startswith(b"STARTTLS"):
                    conn.sendall(b"220 go ahead\r\n250 injected\r\n235 injected\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    r = deployment.run("mail", "test", "ann@example.org", CADENZA_SMTP_URL=f"smtp://127.0.0.1:{listener.getsockname()[1]}",
                       CADENZA_MAIL_FROM="radio@cadenza.example")
    thread.join(5)
    listener.close()
    assert r.returncode != 0 and "after agreeing to STARTTLS" in r.stderr, r.stderr
    assert not any(line.upper().startswith((b"MAIL", b"RCPT", b"DATA")) for line in heard), heard
