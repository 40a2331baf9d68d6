"""E-mail: an outbox of messages sent over SMTP by a timer, retried with backoff, never lost.

A message is stored first (``queue``) and sent by ``send_due``: a failed send is tried again
after each delay of ``NOTIFICATIONS_EMAIL_RETRY_SCHEDULE``; after the last one it is marked
``failed`` (listed for admins, event ``notifications.email_failed``), never dropped. A sent or
failed message keeps no body (it may hold a reset or survey link), and the logs name messages by
id, not by address.
"""
import logging
import smtplib
import socket
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import eventlet
from bson import Binary

from services.common import config
from services.common.clock import utcnow
from services.common.timers import Signal
from services.notifications import events, retries, store

log = logging.getLogger(__name__)

SMTP_TIMEOUT = 10
LEASE_SECONDS = 60
# Messages claimed in one write just before they are sent: few, as those a killed process held
# wait out their lease.
CLAIM_AT_ONCE = 5
TICK_SECONDS = 0.2  # how soon the outbox timer sends what was queued, or the next batch of a backlog
QUEUED = Signal()  # woken by ``queue``: the outbox timer of this process sends at its next tick


def queue(db, email_id, to, subject, body, kind, site_id=None, event_id=None, user_id=None, subjects=(),
          attachments=()):
    """Store a message to send; ``email_id`` is derived from its cause so a re-run adds nothing.
    ``subjects``: the customer records it is about (``erasure.subjects_of``); ``attachments``:
    ``[{filename, content_type, data}]`` (small: a report), dropped with the body once sent."""
    now = utcnow()
    email = {
        "_id": email_id, "to": to, "subject": subject, "body": body, "kind": kind, "site_id": site_id,
        "event_id": event_id, "user_id": user_id, "subjects": list(subjects), "status": "pending", "attempts": 0,
        "errors": [], "next_attempt_at": now, "created_at": now, "sent_at": None, "failed_at": None,
    }
    if attachments:
        email["attachments"] = [dict(item, data=Binary(item["data"])) for item in attachments]
    stored = store.insert_ignoring_duplicate(db.emails, email)
    if stored:
        QUEUED.wake()
    return stored


def build_message(email):
    message = EmailMessage()
    message["From"] = config.get("NOTIFICATIONS_MAIL_FROM")
    message["To"] = email["to"]
    message["Subject"] = email["subject"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=email["_id"][:16])
    message["X-CRM-Kind"] = email["kind"]
    message.set_content(email["body"], cte="8bit")  # readable as saved, links unbroken
    for item in email.get("attachments") or ():
        main, _, sub = item["content_type"].partition("/")
        message.add_attachment(bytes(item["data"]), maintype=main, subtype=sub, filename=item["filename"])
    return message


class SmtpSession:
    """One connection to ``SMTP_HOST:SMTP_PORT`` for a run of messages (``send``): opened at the
    first message and kept for the next, as mail relays expect of a sender of many; opened again
    once for a message when the relay had dropped it. A refusal of one message (its sender, its
    recipients or its data: smtplib resets the transaction) keeps it; any other failure closes it."""

    def __init__(self):
        self.smtp = None

    def send(self, message):
        """Hand ``message`` to the relay; raises on any failure."""
        if self.smtp is not None:
            try:
                self._send(message)
                return
            except smtplib.SMTPServerDisconnected:
                self.close()
        self.smtp = smtplib.SMTP(config.get("SMTP_HOST"), config.get_int("SMTP_PORT"), timeout=SMTP_TIMEOUT)
        self._send(message)

    def _send(self, message):
        try:
            self.smtp.send_message(message)
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
            raise
        except Exception:
            self.close()
            raise

    def close(self):
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def send_due(db, send=None, limit=None):
    """Send up to ``limit`` due messages, over one SMTP session unless ``send(message)`` is given;
    -> how many were handled."""
    limit = limit or config.get_int("NOTIFICATIONS_BATCH")
    delays = retries.schedule("NOTIFICATIONS_EMAIL_RETRY_SCHEDULE")
    due = store.due_items(db.emails, utcnow(), limit)
    if not due:
        return 0
    session = SmtpSession() if send is None else None
    handled = 0
    try:
        for first in range(0, len(due), CLAIM_AT_ONCE):
            for email in store.claim_items(db.emails, due[first:first + CLAIM_AT_ONCE], utcnow(), LEASE_SECONDS):
                attempt(db, email, send or session.send, delays)
                handled += 1
                eventlet.sleep(0)
    finally:
        if session is not None:
            session.close()
    return handled


def attempt(db, email, send, delays):
    if email.get("body") is None:  # erased while it was being sent
        store.finish_attempt(db.emails, email, {"$set": {"status": "cancelled", "next_attempt_at": None},
                                                "$unset": {"claim": ""}})
        return False
    try:
        send(build_message(email))
    except (smtplib.SMTPException, socket.error, OSError, ValueError) as exc:
        failed(db, email, "%s: %s" % (type(exc).__name__, exc), delays)
        return False
    now = utcnow()
    # The body may hold a reset link: once delivered it is not kept.
    store.finish_attempt(db.emails, email, {"$set": {"status": "sent", "sent_at": now}, "$inc": {"attempts": 1},
                                            "$unset": {"claim": "", "body": "", "attachments": ""}})
    return True


def failed(db, email, error, delays):
    now = utcnow()
    attempts = email["attempts"] + 1
    retry_at = retries.next_attempt_at(attempts, delays, now)
    update = {"$set": {"attempts": attempts, "last_error": error}, "$unset": {"claim": ""},
              "$push": {"errors": {"$each": [{"at": now, "error": error}], "$slice": -20}}}
    emitted = []
    if retry_at is None:
        update["$set"].update(status="failed", failed_at=now)
        update["$unset"].update(body="", attachments="")
        # A contact's address (a survey invitation) is not announced; a user's is.
        emitted.append(events.event("email_failed", {
            "email_id": email["_id"], "to": email["to"] if email.get("user_id") else None, "kind": email["kind"],
            "attempts": attempts, "error": error}, site_id=email.get("site_id"), actor="service:notifications"))
        log.error("e-mail %s (%s) failed after %d attempts: %s", email["_id"], email["kind"], attempts, error)
    else:
        update["$set"]["next_attempt_at"] = retry_at
        log.warning("e-mail %s (%s) failed (attempt %d), retry at %s: %s",
                    email["_id"], email["kind"], attempts, retry_at, error)
    store.finish_attempt(db.emails, email, update, *emitted)
