"""Alert receivers the tests start on 127.0.0.1: an HTTP webhook and a minimal SMTP server, each in a thread."""

from __future__ import annotations

import email
import email.policy
import json
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Receiver:
    def __init__(self):
        self.messages: list = []
        self._lock = threading.Lock()

    def _add(self, message) -> None:
        with self._lock:
            self.messages.append(message)

    def wait_for(self, predicate, timeout_s: float = 60):
        """The first message matching `predicate`, waiting up to `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                found = [m for m in self.messages if predicate(m)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching message after {timeout_s:.0f}s; received {self.messages!r}")
            time.sleep(0.5)

    def __enter__(self):
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class WebhookReceiver(_Receiver):
    """Records the JSON body of every POST."""

    def __init__(self):
        super().__init__()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver._add(json.loads(body.decode("utf-8")))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode": 0}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


class SmtpReceiver(_Receiver):
    """Enough of SMTP (RFC 5321, no TLS, no auth) for smtplib and aiosmtplib to deliver; keeps each message."""

    def __init__(self):
        super().__init__()
        receiver = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")
                self.wfile.flush()

            def handle(self):
                self.reply("220 127.0.0.1 quality-test ESMTP")
                envelope = {"from": None, "to": []}
                while line := self.rfile.readline():
                    command = line.decode("utf-8", "replace").strip()
                    verb = command.split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        self.reply("250-127.0.0.1")
                        self.reply("250-8BITMIME")
                        self.reply("250 SMTPUTF8")
                    elif verb == "HELO":
                        self.reply("250 127.0.0.1")
                    elif verb == "MAIL":
                        envelope = {"from": command.split(":", 1)[1].strip(), "to": []}
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        envelope["to"].append(command.split(":", 1)[1].strip())
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        data = []
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                            data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                        message = email.message_from_bytes(b"".join(data), policy=email.policy.default)
                        receiver._add({"envelope": envelope, "message": message,
                                       "subject": str(message["Subject"]), "body": _text(message)})
                        self.reply("250 OK: queued")
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 Command not implemented")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def connection_uri(self) -> str:
        """An Airflow SMTP connection (AIRFLOW_CONN_<ID>) pointing here, without TLS."""
        return (f"smtp://127.0.0.1:{self.port}?disable_tls=true&disable_ssl=true&timeout=10&retry_limit=0"
                "&from_email=airflow%40quality.test")


def _text(message) -> str:
    parts = [p for p in message.walk() if p.get_content_maintype() == "text"]
    return "\n".join(p.get_content() for p in parts)
