"""The notifications service: the in-app inbox, e-mail and text messages, and webhooks.

It consumes every event of the accounts, customers and feedback exchanges (one idempotent
SERVICE_POOL queue per exchange, ``subscription.py``): accounts user events keep its recipient
directory, ``routing.py`` turns events into messages for people, each event is fanned out to
the webhooks that subscribed to it, and a customer's erasure erases what is kept about it
(``erasure.py``). The ``accounts.site_*`` events also reach handlers of their own that keep the
replica of the sites webhooks are checked against (``services.common.sites``). E-mails and
webhook deliveries are documents sent by timers in bounded batches, so nothing pending is lost
when a process dies; the webhook timer is also woken as soon as this process stored new
deliveries, so they go out at once, and the e-mail timer looks at its next tick (0.2 s) once this
process queued a message or its last run sent a whole batch (a campaign's backlog goes a batch a
tick), else every NOTIFICATIONS_INTERVAL. The timer ``sweep_sent_emails`` (each minute) deletes the
e-mails sent more than 30 days ago (no TTL index), and finished automation runs after 90 days.
Each trigger event makes runs of the automation rules it triggers (``automations.react``); the
timer ``run_automations`` does them, woken at once when runs were stored; ``fire_automations`` makes
the runs of rules with a date or schedule trigger when their time comes (``automation_clock``).

Every RPC method but ``health``, ``unsubscribe_page`` and ``unsubscribe`` needs a valid access token in
the nameko context data key ``authorization``. Lists return ``{"items", "next_cursor", "total"}`` and
take ``limit`` (1-500, default 50) and ``cursor``. Times are UTC ISO 8601 strings.

RPC methods (called as ``notifications.<method>``):

- ``health() -> {service, version, db}``
- ``list_notifications(filters={unread}, limit, cursor) -> page`` (the caller's own, newest
  first; the page also has ``unread``, the count of unread items); an item is
  ``{id, kind, title, body, link, event_id, event_type, site_id, read, read_at, created_at}``.
- ``mark_read(notification_id) -> item`` (NotFound unless it is the caller's);
  ``mark_all_read() -> {updated}``
- ``get_preferences() -> {user_id, email_kinds, sms_kinds, sms_number, kinds, version}``;
  ``set_preferences(data={email_kinds, sms_kinds, sms_number, version?}) -> preferences``
  (Conflict ``stale_version`` when ``version`` is given and stale; a change is audited).
- ``list_failed_emails(limit, cursor) -> page`` (webhooks:admin or users:admin; their sites).
- ``create_webhook(data={url, event_types, site_id?, description?}) -> webhook + secret``
  (webhooks:admin; ValidationFailed on a target that is not public unless WEBHOOK_ALLOW_PRIVATE,
  an unknown event pattern, or a site outside the caller's; on ``site_id`` with code
  ``unknown_site`` / ``site_disabled`` for a site accounts does not know or has disabled);
  ``list_webhooks(limit, cursor) -> page``; ``get_webhook(webhook_id)``;
  ``delete_webhook(webhook_id) -> {}`` (allowed on a disabled site too).
- ``update_webhook(webhook_id, data={version, url?, event_types?, site_id?, description?,
  active?}) -> webhook``: the same checks as creation on what it changes; the hook's site (the new
  one, or else its own) must be active, so a hook of a disabled site can only be moved or deleted;
  ``active: true`` resumes a disabled hook; Conflict ``stale_version``.
- ``site_usage(site_id) -> {"counts": {"webhooks": n}}`` (sites:admin and sites:all; non-zero
  counts only): the live hooks of a site accounts is asked to delete. Inbox items, e-mails and
  deliveries are not counted: they record events that already happened and belong to their
  recipient or hook, not to the site (see ``webhooks.site_usage``).
- ``list_deliveries(webhook_id, filters={status}, limit, cursor) -> page`` of
  ``{id, webhook_id, event_id, event_type, status, attempts: [{number, at, status_code,
  latency_ms, error, success}], next_attempt_at, redelivery_of, created_at, completed_at}``.
- ``list_automations(limit, cursor) -> page``; ``create_automation(data={site_id, name, description,
  enabled, template, trigger: {event_type}, conditions: [{field, op, value}], actions: [{kind, ...}]})
  -> rule``; ``get_automation(rule_id)``; ``update_automation(rule_id, data={version, ...})``;
  ``delete_automation(rule_id) -> {}`` (automations:manage; the rule's site one of the caller's, null
  for sites:all; saving makes the caller the rule's owner and asks accounts for its grant: 503 when
  accounts is away; ValidationFailed naming the field, Conflict ``stale_version``).
- ``list_automation_runs(rule_id, filters={status}, limit, cursor) -> page`` of runs (trigger,
  customer, each action's outcome and error); ``test_automation(rule_id, data={customer_id, event})
  -> {would_run, conditions, actions}`` (writes nothing); ``automation_templates() -> {items}``.
- Campaigns (automations:manage, the campaign's site one of the caller's): ``list_campaigns(limit,
  cursor)``, ``create_campaign(data={site_id, name, channel, segment: {view_id | filters}, contacts,
  position, messages: {zh-CN: {subject, body}, en}, send_at, per_minute}) -> campaign`` (a draft; the
  caller becomes its owner), ``get_campaign(campaign_id)``, ``update_campaign(campaign_id, data={version,
  ...})`` (a draft only: Conflict ``campaign_not_draft``), ``delete_campaign`` (not while it runs:
  Conflict ``campaign_running``), ``schedule_campaign(campaign_id, data={send_at})``,
  ``cancel_campaign(campaign_id)``, ``campaign_recipients(campaign_id, filters={status}, limit, cursor)``,
  ``campaign_audience(campaign_id) -> {customers, total_is_lower_bound}``, ``test_campaign(campaign_id) ->
  {sent}`` (to the caller); ``campaign_occasions() -> {items: [{occasion, date}]}``: China's public holidays
  of the next year (``occasions.py``), for ``occasion``.
- ``report_automations(filters={site_id, since, until}) -> {since, until, rules, totals}`` and
  ``report_campaigns(filters) -> {since, until, campaigns, totals}`` (automations:manage;
  ``automation_reports``).
- ``subscribe_report(data={report, frequency, site_id}) -> subscription`` (reports:read; the report is
  computed with the subscriber's permissions when it is sent), ``report_subscriptions() -> {items}``
  (the caller's own), ``unsubscribe_report(subscription_id) -> {}`` (NotFound unless the caller's).
- ``unsubscribe_page(token) -> {name, opted_out}``, ``unsubscribe(token) -> {name, opted_out}``: public
  (the signed link is the proof); NotFound for a link that is not one.
- ``redeliver(delivery_id) -> delivery``: a new pending delivery of the same event, audited
  (Conflict ``webhook_disabled`` when the hook is disabled, ``delivery_erased`` when its
  customer was erased).
"""
from services.common import config, revocation, sites
from services.common.base import ServiceBase
from services.common.clock import utcnow
from services.common.context import CallerContext
from services.common.envelope import unbatched
from services.common.entrypoints import rpc
from services.common.mongo import MongoDatabase
from services.common.timers import timer
from services.notifications import (admin, automation_reports, automations, campaigns, delivery, directory, erasure,
                                    inbox, mail, report_subscriptions, routing, store, unsubscribe, webhooks)
from services.notifications.subscription import exchange_handler


class NotificationsService(sites.SiteDirectoryMixin, ServiceBase):
    name = "notifications"
    outbox_collections = store.OUTBOX_COLLECTIONS

    db = MongoDatabase(name, store.ensure_indexes)
    context = CallerContext()
    learn_revocation = revocation.learn_revocation

    # One handler per source exchange of catalogue.SOURCES (a test keeps the two in step). An event
    # routed to no person is handled on each delivery, with no exactly-once marker: its hook
    # deliveries are keyed by hook and event, and the directory and erasures are kept idempotently.
    on_accounts_event = exchange_handler("accounts", idempotent=routing.unrouted)
    on_customers_event = exchange_handler("customers", idempotent=routing.unrouted)
    on_feedback_event = exchange_handler("feedback", idempotent=routing.unrouted)

    def handle_event(self, event):
        each = unbatched(event)  # one event, or the audit events of an import's rows (one type and site)
        kept = store.reactors(self.db) if each else None  # the hooks and rules, read once for them all
        hooks = webhooks.hooks_wanting(self.db, each[0], kept) if each else []
        for one in each:
            directory.apply(self.db, one)
            if hooks or not routing.unrouted(one):
                erasure.handle(self.db, one, lambda ev: webhooks.fan_out(self.db, ev, hooks) + routing.route(
                    self.db, ev))
            rules = automations.rules_for(self.db, one, kept)
            if rules:
                erasure.handle(self.db, one, lambda ev: automations.react(self.db, ev, rules))
            erasure.apply(self.db, one)

    @timer(interval=mail.TICK_SECONDS, guard="e-mail outbox", signal=mail.QUEUED, idle="NOTIFICATIONS_INTERVAL")
    def send_emails(self):
        return mail.send_due(self.db) >= config.get_int("NOTIFICATIONS_BATCH")  # a whole batch: more may be due

    @timer(interval=60, guard="sent e-mail sweep")
    def sweep_sent_emails(self):
        store.sweep_sent_emails(self.db, utcnow())
        store.sweep_runs(self.db, utcnow())

    @timer(interval=config.get_float("NOTIFICATIONS_INTERVAL"), guard="automation runs", signal=automations.RUNS_DUE)
    def run_automations(self):
        return automations.run_due(self.db) >= automations.RUNS_PER_TICK  # a whole batch: more may be due

    @timer(interval=config.get_float("NOTIFICATIONS_INTERVAL"), guard="scheduled reports")
    def send_reports(self):
        report_subscriptions.send_due(self.db)

    @timer(interval=config.get_float("NOTIFICATIONS_INTERVAL"), guard="campaigns")
    def send_campaigns(self):
        campaigns.advance(self.db)

    @timer(interval=config.get_float("NOTIFICATIONS_INTERVAL"), guard="automation clock")
    def fire_automations(self):
        automations.fire_due(self.db)

    @timer(interval=config.get_float("NOTIFICATIONS_INTERVAL"), guard="webhook deliveries",
           signal=webhooks.DELIVERIES_DUE)
    def deliver_webhooks(self):
        return delivery.send_due(self.db) >= config.get_int("NOTIFICATIONS_BATCH")  # a whole batch: more may be due

    @rpc
    def list_notifications(self, filters=None, limit=None, cursor=None):
        return inbox.list_mine(self.db, self.context.caller, filters, limit, cursor)

    @rpc
    def mark_read(self, notification_id):
        return inbox.mark_read(self.db, self.context.caller, notification_id)

    @rpc
    def mark_all_read(self):
        return inbox.mark_all_read(self.db, self.context.caller)

    @rpc
    def get_preferences(self):
        return inbox.get_preferences(self.db, self.context.caller)

    @rpc
    def set_preferences(self, data):
        return inbox.set_preferences(self.db, self.context.caller, data)

    @rpc
    def list_failed_emails(self, limit=None, cursor=None):
        return admin.list_failed_emails(self.db, self.context.caller, limit, cursor)

    @rpc
    def create_webhook(self, data):
        return webhooks.create(self.db, self.context.caller, data)

    @rpc
    def list_webhooks(self, limit=None, cursor=None):
        return webhooks.list_visible(self.db, self.context.caller, limit, cursor)

    @rpc
    def get_webhook(self, webhook_id):
        return webhooks.get(self.db, self.context.caller, webhook_id)

    @rpc
    def update_webhook(self, webhook_id, data):
        return webhooks.update(self.db, self.context.caller, webhook_id, data)

    @rpc
    def site_usage(self, site_id):
        return webhooks.site_usage(self.db, self.context.caller, site_id)

    @rpc
    def delete_webhook(self, webhook_id):
        return webhooks.delete(self.db, self.context.caller, webhook_id)

    @rpc
    def list_deliveries(self, webhook_id, filters=None, limit=None, cursor=None):
        return webhooks.list_deliveries(self.db, self.context.caller, webhook_id, filters, limit, cursor)

    @rpc
    def list_automations(self, limit=None, cursor=None):
        return automations.list_visible(self.db, self.context.caller, limit, cursor)

    @rpc
    def create_automation(self, data):
        return automations.create(self.db, self.context.caller, data)

    @rpc
    def get_automation(self, rule_id):
        return automations.get(self.db, self.context.caller, rule_id)

    @rpc
    def update_automation(self, rule_id, data):
        return automations.update(self.db, self.context.caller, rule_id, data)

    @rpc
    def delete_automation(self, rule_id):
        return automations.delete(self.db, self.context.caller, rule_id)

    @rpc
    def list_automation_runs(self, rule_id, filters=None, limit=None, cursor=None):
        return automations.list_runs(self.db, self.context.caller, rule_id, filters, limit, cursor)

    @rpc
    def test_automation(self, rule_id, data):
        return automations.try_on(self.db, self.context.caller, rule_id, data)

    @rpc
    def automation_templates(self):
        return automations.templates(self.context.caller)

    @rpc
    def list_campaigns(self, limit=None, cursor=None):
        return campaigns.list_visible(self.db, self.context.caller, limit, cursor)

    @rpc
    def create_campaign(self, data):
        return campaigns.create(self.db, self.context.caller, data)

    @rpc
    def get_campaign(self, campaign_id):
        return campaigns.get(self.db, self.context.caller, campaign_id)

    @rpc
    def update_campaign(self, campaign_id, data):
        return campaigns.update(self.db, self.context.caller, campaign_id, data)

    @rpc
    def delete_campaign(self, campaign_id):
        return campaigns.delete(self.db, self.context.caller, campaign_id)

    @rpc
    def schedule_campaign(self, campaign_id, data=None):
        return campaigns.schedule(self.db, self.context.caller, campaign_id, data)

    @rpc
    def cancel_campaign(self, campaign_id):
        return campaigns.cancel(self.db, self.context.caller, campaign_id)

    @rpc
    def campaign_recipients(self, campaign_id, filters=None, limit=None, cursor=None):
        return campaigns.recipients(self.db, self.context.caller, campaign_id, filters, limit, cursor)

    @rpc
    def campaign_audience(self, campaign_id):
        return campaigns.audience_count(self.db, self.context.caller, campaign_id)

    @rpc
    def test_campaign(self, campaign_id):
        return campaigns.test_send(self.db, self.context.caller, campaign_id)

    @rpc
    def report_automations(self, filters=None):
        return automation_reports.automations(self.db, self.context.caller, filters)

    @rpc
    def report_campaigns(self, filters=None):
        return automation_reports.campaigns(self.db, self.context.caller, filters)

    @rpc
    def subscribe_report(self, data):
        return report_subscriptions.subscribe(self.db, self.context.caller, data)

    @rpc
    def report_subscriptions(self):
        return report_subscriptions.mine(self.db, self.context.caller)

    @rpc
    def unsubscribe_report(self, subscription_id):
        return report_subscriptions.unsubscribe(self.db, self.context.caller, subscription_id)

    @rpc
    def campaign_occasions(self):
        return campaigns.upcoming_occasions(self.context.caller)

    @rpc
    def unsubscribe_page(self, token):
        return unsubscribe.page(self.db, token)

    @rpc
    def unsubscribe(self, token):
        return unsubscribe.opt_out(self.db, token)

    @rpc
    def redeliver(self, delivery_id):
        return webhooks.redeliver(self.db, self.context.caller, delivery_id)
