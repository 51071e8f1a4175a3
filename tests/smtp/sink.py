"""A real SMTP server on loopback for Osez's tests (aiosmtpd).

Every message accepted is appended to OUT as one JSON line: envelope,
the headers the tests look at, and the text body decoded from its MIME
transfer encoding. Prints "listening PORT" once ready.

    python3 tests/smtp/sink.py --port 0 --out /tmp/mail.jsonl [--delay-ms 150]
"""

import argparse
import asyncio
import email
import email.policy
import json
import socket
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out, delay_ms):
        self.out = out
        self.delay = delay_ms / 1000

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            # A slow server, so that a client can be killed mid-batch.
            await asyncio.sleep(self.delay)
            if server.transport is None or server.transport.is_closing():
                # The client is gone before hearing "250": not accepted.
                return "451 client gone"
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(msg.get("From", "")),
            "to": str(msg.get("To", "")),
            "reply_to": str(msg.get("Reply-To", "")),
            "subject": str(msg.get("Subject", "")),
            "message_id": str(msg.get("Message-ID", "")),
            "date": str(msg.get("Date", "")),
            "content_type": str(msg.get("Content-Type", "")),
            "header_names": list(msg.keys()),
            "body": body.get_content() if body is not None else "",
            "attachments": [
                {
                    "filename": part.get_filename() or "",
                    "content_type": part.get_content_type(),
                    "content": part.get_content() if part.get_content_maintype() == "text" else "",
                }
                for part in msg.iter_attachments()
            ],
        }
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
        return "250 OK"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--delay-ms", type=int, default=0)
    a = p.parse_args()
    port = a.port
    if port == 0:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    controller = Controller(Sink(a.out, a.delay_ms), hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    print(f"listening {port}", flush=True)
    try:
        asyncio.new_event_loop().run_until_complete(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
