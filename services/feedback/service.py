"""The feedback service: feedback items and their workflow with SLAs, surveys with single-use
links, and the satisfaction report.

Every method but ``health``, ``survey_for_token`` and ``answer_survey`` (the public survey
page) needs a valid access token in the nameko context data key ``authorization``;
``feedback:read`` / ``feedback:write`` and site scope are enforced here (an item outside the
caller's sites is NotFound). Lists return ``{"items", "next_cursor", "total"}`` and take
``limit`` (1-500, default 50) and ``cursor``. Times are UTC ISO 8601 strings.

RPC methods (called as ``feedback.<method>``):

- ``health() -> {service, version, db}``
- ``create_feedback(data) -> item``: data customer_id, contact_id, channel (phone, email, web,
  wechat, visit, survey), type (complaint, suggestion, praise, question), category (one of the
  site's), severity (critical, high, normal, low; default normal), rating 1-5, subject, text,
  order_id, service_record_id, due_at (no later than the SLA). The customer is checked with
  customers (ValidationFailed on ``customer_id`` when unknown or outside the caller's sites;
  Unavailable, nothing written, when customers does not answer).
- ``get_feedback(feedback_id)``; ``list_feedback(filters={status, severity, category, channel, type,
  assignee_id, customer_id, site_id, overdue, sort}, limit, cursor) -> page``; sort one of
  created_at, updated_at, due_at, severity (by rank), with ``-`` for descending (default -created_at).
- ``update_feedback(feedback_id, data) -> item``: ``data.version`` required (Conflict
  ``stale_version``); status (Conflict ``illegal_transition`` with ``extra.allowed``),
  assignee_id (an active user of the item's site with feedback:write, checked with accounts;
  assigning an open item makes it assigned), severity, category, subject, order_id,
  service_record_id (a new severity moves an open item's due time to created_at + that
  severity's SLA), resolution_summary (required to resolve), customer_confirmation
  {confirmed, note} (once resolved), note (kept in the status history).
- ``add_response(feedback_id, data={kind: note|reply, text}) -> item``
- ``open_feedback_count(customer_id) -> {customer_id, open, overdue}`` (feedback:read or
  customers:read; counts only the caller's sites)
- ``get_settings(site_id)`` (feedback:read), ``update_settings(site_id, data={version, categories,
  sla_hours})`` (settings:write) -> ``{site_id, categories, sla_hours: {critical, high, normal, low},
  version}``
- ``create_survey(data={title, intro, language, site_id, questions: [{id, kind: rating|nps|choice|
  text, text, required, options, max_length}]}) -> survey``; ``get_survey(survey_id)``;
  ``list_surveys(limit, cursor) -> page``
- ``update_survey(survey_id, data={site_id, version}) -> survey``: move a survey to another of the
  caller's sites (ValidationFailed on ``site_id``: not one of the caller's sites, or not active,
  code ``unknown_site`` / ``site_disabled``); the old site may be disabled, so a retired site can
  be emptied. Conflict ``stale_version``; audited (``moved``, the site before and after). The
  survey's links stay: each follows its customer.
- ``send_survey(survey_id, data={customer_id, contact_ids}) -> {survey_id, customer_id,
  expires_at, sent: [{contact_id, name, email, link_id}]}``: one single-use link per contact
  (30 days), each announced by ``feedback.survey_sent`` (needs contacts:read for the contacts);
  the customer must be of the survey's site (ValidationFailed on ``customer_id``).
- ``survey_for_token(token) -> {title, intro, language, questions, recipient, expires_at}`` and
  ``answer_survey(token, answers) -> {status, message}``: public; NotFound ``survey_link_invalid``,
  BadRequest ``survey_link_used`` / ``survey_link_expired``; ValidationFailed naming each missing
  or bad answer by question id.
- ``report_satisfaction(filters={site_id, since, until})`` (reports:read): see ``reports``.
- ``staff_measures(site_id, since, until) -> {"assignees": {user_id: {assigned, resolved,
  resolved_within_sla, median_hours_to_resolve, resolve_hours}}, "customers": {customer_id: {csat_sum, csat_count,
  promoters, passives, detractors}}}`` (feedback:read or targets:manage; NotFound for a site not
  among the caller's): the feedback side of staff scorecards over the days ``since`` through
  ``until`` (ISO dates, both included, at most 366 days) of the site's time zone; ValidationFailed
  naming ``site_id``, ``since`` or ``until``. See ``performance`` for what each measure counts.
- ``site_usage(site_id) -> {"counts": {"feedback": n, "surveys": n, "survey_links": n}}``
  (sites:admin and sites:all; non-zero counts only): what still belongs to a site accounts is
  asked to delete. Survey links are the survey's recipients and their answers; a site's settings
  are not counted (they go with the site). See ``site_usage``.

Sites: every write naming a site checks it against this service's replica of accounts' sites
(``services.common.sites``): creating feedback (the customer's site), changing or responding to an
item, creating or sending a survey, and changing a site's settings are ValidationFailed on
``site_id`` (code ``unknown_site`` or ``site_disabled``) unless the site is known and active. A
disabled site's items stay readable; they leave it with their customer (``customers.customer_moved``),
and its surveys stay readable and may be moved to an active site (``update_survey``).
Work the service does itself (event handlers, timers, a survey's public answer) is not checked.

Events consumed: ``customers.customer_moved`` (the customer's items and survey links follow it
to its new site), ``customers.customer_erased`` and ``customers.customer_purged`` (its contacts'
names, e-mails and ids are blanked on links and items); see ``customer_changes``.
``accounts.user_updated``, ``accounts.user_deleted`` and ``accounts.permissions_changed``: open
items assigned to a user who was disabled or deleted, lost ``feedback:write`` or no longer works at
the item's site go back to the site's queue (``departures``). ``accounts.site_created``,
``site_updated``, ``site_disabled`` and ``site_deleted`` keep the replica of the sites.

Timers: ``scan_sla`` every ``FEEDBACK_SLA_SCAN_INTERVAL`` seconds marks overdue open items as
breached (once, ``feedback.sla_breached``) and completes low-score items a crash left behind.
"""
import logging

from services.common import revocation, sites
from services.common.base import ServiceBase
from services.common.consumer import subscribe
from services.common.context import CallerContext
from services.common.entrypoints import rpc
from services.common.mongo import MongoDatabase
from services.common.timers import timer
from services.feedback import (
    customer_changes, departures, items, performance, reports, settings, site_usage, store, surveys,
)

log = logging.getLogger(__name__)


class FeedbackService(sites.SiteDirectoryMixin, ServiceBase):
    name = "feedback"
    outbox_collections = store.OUTBOX_COLLECTIONS

    db = MongoDatabase(name, store.ensure_indexes)
    context = CallerContext()
    learn_revocation = revocation.learn_revocation

    @timer(interval="FEEDBACK_SLA_SCAN_INTERVAL", guard="SLA scan")
    def scan_sla(self):
        breached = items.scan_sla(self.db)
        completed = surveys.complete_low_score_items(self.db)
        if breached or completed:
            log.info("SLA scan: %d breached, %d low-score items completed", breached, completed)

    @rpc
    def create_feedback(self, data):
        return items.create_feedback(self.db, self.caller, data)

    @rpc
    def get_feedback(self, feedback_id):
        return items.get_feedback(self.db, self.caller, feedback_id)

    @rpc
    def list_feedback(self, filters=None, limit=None, cursor=None):
        return items.list_feedback(self.db, self.caller, filters, limit, cursor)

    @rpc
    def update_feedback(self, feedback_id, data):
        return items.update_feedback(self.db, self.caller, feedback_id, data)

    @rpc
    def add_response(self, feedback_id, data):
        return items.add_response(self.db, self.caller, feedback_id, data)

    @rpc
    def open_feedback_count(self, customer_id):
        return items.open_feedback_count(self.db, self.caller, customer_id)

    @rpc
    def get_settings(self, site_id):
        return settings.get_settings(self.db, self.caller, site_id)

    @rpc
    def update_settings(self, site_id, data):
        return settings.update_settings(self.db, self.caller, site_id, data)

    @rpc
    def create_survey(self, data):
        return surveys.create_survey(self.db, self.caller, data)

    @rpc
    def get_survey(self, survey_id):
        return surveys.get_survey(self.db, self.caller, survey_id)

    @rpc
    def survey_results(self, survey_id):
        """-> {survey_id, sent, answered, response_rate, questions: [per-question results],
        responses: [latest 200 answers]} (feedback:read; NotFound outside your sites)."""
        return surveys.survey_results(self.db, self.caller, survey_id)

    @rpc
    def update_survey(self, survey_id, data):
        return surveys.update_survey(self.db, self.caller, survey_id, data)

    @rpc
    def list_surveys(self, limit=None, cursor=None):
        return surveys.list_surveys(self.db, self.caller, limit, cursor)

    @rpc
    def send_survey(self, survey_id, data):
        return surveys.send_survey(self.db, self.caller, survey_id, data)

    @rpc
    def survey_for_token(self, token):
        return surveys.survey_for_token(self.db, token)

    @rpc
    def answer_survey(self, token, answers):
        return surveys.answer_survey(self.db, token, answers)

    @rpc
    def report_satisfaction(self, filters=None):
        return reports.satisfaction(self.db, self.caller, filters)

    @rpc
    def staff_measures(self, site_id, since, until):
        return performance.staff_measures(self.db, self.caller, site_id, since, until)

    @rpc
    def site_usage(self, site_id):
        return site_usage.site_usage(self.db, self.caller, site_id)

    @subscribe("customers.customer_moved")
    def on_customer_moved(self, event):
        customer_changes.move_customer(self.db, event)

    @subscribe("customers.customer_erased")
    def on_customer_erased(self, event):
        customer_changes.erase_customer(self.db, event)

    @subscribe("customers.customer_purged")
    def on_customer_purged(self, event):
        customer_changes.erase_customer(self.db, event)

    @subscribe("accounts.user_updated")
    def on_user_updated(self, event):
        departures.handle(self.db, event)

    @subscribe("accounts.user_deleted")
    def on_user_deleted(self, event):
        departures.handle(self.db, event)

    @subscribe("accounts.permissions_changed")
    def on_permissions_changed(self, event):
        departures.handle(self.db, event)
