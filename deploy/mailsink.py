"""A local SMTP sink for `make run`: every message it receives is kept as a file, nothing is sent on.

    python -m deploy.mailsink [--host localhost] [--port 8025] [--dir ./var/mail]

Each message becomes ``<time>-<id>.eml`` under the directory (plain text: open it to follow a
password-reset link). Defaults come from SMTP_HOST, SMTP_PORT and CRM_VAR_DIR.
"""
import argparse
import datetime
import os
import signal
import threading
import uuid

from aiosmtpd.controller import Controller

from services.common import config


class MailDirHandler:
    """aiosmtpd handler writing each received message to ``directory``."""

    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        path = os.path.join(self.directory, "%s-%s.eml" % (stamp, uuid.uuid4().hex[:8]))
        with open(path, "wb") as handle:
            handle.write(b"X-Envelope-To: " + ", ".join(envelope.rcpt_tos).encode() + b"\r\n")
            handle.write(envelope.original_content or envelope.content)
        print("mail to %s kept in %s" % (", ".join(envelope.rcpt_tos), path), flush=True)
        return "250 Message accepted"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=config.get("SMTP_HOST"))
    parser.add_argument("--port", type=int, default=config.get_int("SMTP_PORT"))
    parser.add_argument("--dir", default=os.path.join(config.get("CRM_VAR_DIR"), "mail"))
    args = parser.parse_args(argv)
    controller = Controller(MailDirHandler(os.path.abspath(args.dir)), hostname=args.host, port=args.port)
    controller.start()
    print("mail sink listening on %s:%d, keeping messages in %s" % (args.host, args.port, os.path.abspath(args.dir)),
          flush=True)
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
