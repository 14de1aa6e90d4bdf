"""A real SMTP receiver (aiosmtpd) on loopback, and reading what it received.

The server under test is configured to send through it (`[mail] server`,
`port`, `tls = "none"`, `from`). Every mail is kept in memory and written to
the artifacts directory as NNN.eml, so a run's mails can be read afterwards.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Hrefs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


URL_RE = re.compile(r"https?://[^\s<>\"')\]]+")


@dataclass
class Mail:
    """One received mail: the SMTP envelope and the parsed message."""

    seq: int
    envelope_from: str
    envelope_to: list[str]
    raw: bytes = field(repr=False)
    message: EmailMessage = field(repr=False)

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def sender(self) -> str:
        return str(self.message.get("From", ""))

    @property
    def to(self) -> list[str]:
        """The envelope's recipients (who the mail was actually sent to)."""
        return self.envelope_to

    def _part(self, subtype: str) -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""

    @property
    def text(self) -> str:
        """The text/plain body ('' when there is none)."""
        return self._part("plain")

    @property
    def html(self) -> str:
        """The text/html body ('' when there is none)."""
        return self._part("html")

    @property
    def links(self) -> list[str]:
        """Every http(s) URL in the mail, text and HTML parts, in order, without repeats."""
        parser = _Hrefs()
        parser.feed(self.html)
        found = URL_RE.findall(self.text) + [h for h in parser.hrefs if h.startswith(("http://", "https://"))]
        found += URL_RE.findall(self.html)
        seen: list[str] = []
        for url in found:
            url = url.rstrip(".,;:")
            if url not in seen:
                seen.append(url)
        return seen

    def link(self, containing: str = "") -> str:
        """The one link whose URL contains `containing` (fails if none or several differ)."""
        matching = [u for u in self.links if containing in u]
        assert matching, f"no link containing {containing!r} in the mail {self.subject!r}: {self.links}"
        assert len(set(matching)) == 1, f"several links contain {containing!r}: {matching}"
        return matching[0]


class Mailbox:
    """Every mail the receiver got this session, in order."""

    def __init__(self, save_dir: Path | None = None):
        self._mails: list[Mail] = []
        self._taken: set[int] = set()
        self._cond = threading.Condition()
        self.save_dir = save_dir

    # called on aiosmtpd's thread
    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._cond:
            mail = Mail(len(self._mails) + 1, envelope.mail_from, list(envelope.rcpt_tos), raw, message)
            self._mails.append(mail)
            self._cond.notify_all()
        if self.save_dir is not None:
            self.save_dir.mkdir(parents=True, exist_ok=True)
            (self.save_dir / f"{mail.seq:03d}.eml").write_bytes(raw)
        return "250 Message accepted for delivery"

    @property
    def mails(self) -> list[Mail]:
        with self._cond:
            return list(self._mails)

    def to(self, address: str) -> list[Mail]:
        """Every mail received so far for `address` (case-insensitive)."""
        address = address.lower()
        return [m for m in self.mails if address in (a.lower() for a in m.envelope_to)]

    def wait_for(self, to: str, *, subject: str = "", timeout: float = 30) -> Mail:
        """The next mail for `to` (optionally whose subject contains `subject`)
        that no earlier wait_for returned, waiting up to `timeout` seconds."""
        address = to.lower()
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for mail in self._mails:
                    if (mail.seq not in self._taken and address in (a.lower() for a in mail.envelope_to)
                            and subject.lower() in mail.subject.lower()):
                        self._taken.add(mail.seq)
                        return mail
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [(m.envelope_to, m.subject) for m in self._mails]
                    raise AssertionError(f"no mail to {to!r}" + (f" with {subject!r} in its subject" if subject else "")
                                         + f" within {timeout:.0f}s; received so far: {got}")
                self._cond.wait(left)


class SmtpReceiver:
    """aiosmtpd on 127.0.0.1:PORT (a thread of this process)."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox
        self.host = "127.0.0.1"
        self.port = free_port()
        self._controller = Controller(mailbox, hostname=self.host, port=self.port, ready_timeout=10)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
