"""The customers service: the customer archive and everything kept about a customer.

Every method but ``health`` needs a valid access token in the nameko context data key
``authorization``; permissions (``customers:*``, ``contacts:*``, ``orders:*``,
``interactions:*``, ``reports:read``) and site scope are enforced here. A customer outside the
caller's sites answers NotFound. Lists return ``{"items", "next_cursor", "total"}`` and take
``limit`` (1-500, default 50) and ``cursor``. Updates carry ``version``; a stale one is Conflict.

RPC methods (called as ``customers.<method>``):

- ``health() -> {service, version, db}``
- ``create_customer(data, force=False) -> customer``: Conflict ``duplicate_tax_id`` (extra
  ``existing_id``) or ``possible_duplicate`` (extra ``candidates``, unless ``force``).

Sites: every write naming a site needs it known to accounts and active (``services.common.sites``;
ValidationFailed on ``site_id``, code ``unknown_site`` or ``site_disabled``): creating a customer,
an import, a saved view, a site's settings; changing a customer (moving it needs the new site
active, and moving out of a disabled site is allowed: that empties it), its parts or tier
override, or merging into it needs the customer's site active. Deleting and erasing stay allowed.
Customers show ``owner_left`` (``{user_id, at}`` or null): the owner was cleared because they left.
- ``campaign_audience(site_id, segment={view_id | filters}, selection=primary|all|position, position,
  cursor, limit) -> {items: [{customer_id, legal_name, owner_id, country, contact_id, name, email, phone,
  position}], customers, next_cursor, total, total_is_lower_bound}``: the contacts a campaign writes to,
  a page of the site's customer list at a time (customers:read and contacts:read; ``audience.py``).
- ``date_matches(kind, on_date, days=0, site_id, cursor, limit) -> {items: [{customer_id, contact_id,
  order_id, date}], next_cursor}``: the records whose date of ``kind`` (``contract.DATE_KINDS``) it is on
  ``on_date`` at one of the caller's sites (customers:read; contacts:read for birthdays, orders:read for
  contract ends), for automation rules' date triggers (``dates.py``).
- ``get_customer(customer_id)``, ``update_customer(customer_id, data)`` (``owner_id``: an active user of
  the customer's site with ``customers:read``; a new ``site_id`` moves the customer's records too),
  ``delete_customer(customer_id, erase=False) -> {}`` (soft, restorable 30 days; ``erase`` blanks the
  personal data of the customer and its parts at once, a soft-deleted customer too),
  ``restore_customer(customer_id)``, ``verify_customer(customer_id)``
- ``list_customers(filters={q, tier, tag, industry, region, owner_id, lifecycle, churn_risk, site_id,
  status, parent_id, deleted, sort}, limit, cursor) -> page`` (``owner_id: "none"``: customers
  without an owner)
- ``review_due(limit, cursor) -> page``: not verified for the site's review period (90 days).
- ``overview(customer_id) -> {customer, contacts, interactions, orders_12m, opportunities,
  open_feedback, next_followup, tier, children}``: parts the caller may not see are absent.
- ``list_parts(customer_id, part, limit, cursor)``, ``create_part(customer_id, part, data)``,
  ``update_part(customer_id, part, part_id, data)``, ``delete_part(customer_id, part, part_id)``
  with ``part`` one of contacts, orders, payments, service_records, interactions,
  opportunities, followups.
- ``set_tier_override(customer_id, data={tier, reason, expires_at})``,
  ``clear_tier_override(customer_id)``, ``tier_history(customer_id) -> {items}``
- ``get_settings(site_id)``, ``update_settings(site_id, data)``: tier thresholds, follow-up
  cadence, review period of a site.
- ``list_views() -> {items}``, ``create_view(data) -> view``, ``delete_view(view_id) -> {}``
- ``duplicates(limit, cursor) -> {clusters, next_cursor}``, ``merge(survivor_id, data={merged_ids, fields}) -> merge``,
  ``revert_merge(merge_id) -> merge``
- ``create_import(filename, dry_run, site_id=None) -> job``, ``append_import_chunk(import_id, seq, content_b64)``,
  ``preview_import(import_id, entity="customers", sheet=None) -> {upload_id, format, encoding, delimiter, sheets,
  sheet, columns: [{index, header, samples, field, suggested_by}], fields: [{name, kind, required}]}`` (an upload
  not started yet), ``start_import(import_id, options=None) -> job`` (options: entity, mapping, value_map, sheet,
  mapping_id, dry_run: ``contract.ImportOptionsSchema``), ``get_import(import_id) -> job``,
  ``import_errors(import_id, warnings=False) -> {filename, columns, rows}`` (row, field, message, and the sheet
  of a workbook's; ``warnings``: the remarks on rows kept instead; audited),
  ``import_fields(entity) -> {entity, fields}``
- ``list_import_mappings(entity=None, site_id=None) -> {items}``, ``save_import_mapping(data) -> mapping``
  (``contract.ImportMappingSchema``; a name saved again replaces it), ``delete_import_mapping(mapping_id) -> {}``
- ``export_rows(filters, cursor, limit) -> {columns, kinds, rows, next_cursor}`` (a kind per column:
  text, amount, date or time),
  ``record_export(filters, format, count) -> {}`` (audited)
- ``report_tiers(filters)``, ``report_sales(filters)``, ``report_funnel(filters)``,
  ``report_churn(filters)`` (reports:read; filters ``site_id``, ``since``, ``until``)
- ``create_target(data) -> target``, ``update_target(target_id, data={value, version})``,
  ``delete_target(target_id) -> {}`` (targets:manage at the target's site), ``get_target(target_id) -> target
  with children and unassigned``, ``list_targets(filters={site_id, period, measure, holder_kind, holder_id})
  -> {items}``: sales targets and their attainment (``targets.py``; a holder's own without targets:manage)
- ``scorecard(query={period, site_id, user_id | team_id}) -> scorecard``, ``leaderboard(query={period,
  site_id, measure}) -> {items: [{rank, user_id, name, value}]}``, ``scorecard_rows(query={period, site_id})
  -> {columns, kinds, rows, filename}``: staff performance (``performance.py``, ``scorecards.py``)
- ``pipeline(query={period, site_id}) -> forecast``: weighted open opportunities and expected reorders
  against the site's order-amount target (orders:read; ``pipeline.py``)
- ``customer_forecast(customer_id) -> {customer_id, method, history, next_order, overdue_days, products}``: the
  reorder forecast of a customer and of its products (customers:read and orders:read; ``reorders.py``,
  ``forecasts.py``); ``expected_orders(query={site_id, within_days, overdue_days}, cursor, limit) -> page of
  {customer_id, legal_name, expected_date, earliest, latest, amount, low, high, overdue_days, ...}``: customers
  expected to order soon or overdue, by expected date; ``recommendations(customer_id) -> {customer_id, items:
  [{product, score, reason}]}``: products similar customers buy or that go with its own
  (``recommendations.py``)
- ``site_usage(site_id) -> {counts: {collection: n}}``: the customer data still at a site, only
  non-zero counts (customers, soft-deleted ones too, each part collection, tier_history,
  feedback_scores, views; erased customers and their records left out); ``sites:admin`` and
  ``sites:all``. accounts asks it before deleting a site.

Timers: ``recompute_customers`` (tiers, lifecycle, churn of every customer, once per
``CUSTOMERS_RECOMPUTE_INTERVAL`` across replicas; a run cut short by the service stopping is asked for
again, for the next check of any replica), ``scan_followups`` (``followup_due`` and
``contract_expiring`` events, every ``CUSTOMERS_SCAN_INTERVAL``), ``process_imports`` (running
import jobs in bounded batches: at once after a start, every 0.2 s while it has a job, else every
``import_worker.IDLE_SECONDS`` for jobs other replicas started or left), ``resume_merges``
(finishes a merge or revert cut short),
``purge_customers`` (erases soft-deleted customers past their 30 days, every ``CUSTOMERS_SCAN_INTERVAL``),
``resume_moves`` (finishes carrying a moved customer's records to its new site),
``purge_finished_jobs`` (deletes imports and merges finished more than ``CUSTOMERS_JOB_RETENTION_DAYS``
ago, a merge only once it can no longer be reverted; every ``CUSTOMERS_SCAN_INTERVAL``).
Subscriptions: ``feedback.feedback_received`` and ``feedback.survey_response_received`` (scores
for churn risk); ``accounts.site_created``, ``site_updated``, ``site_disabled``, ``site_deleted``
(the replica of the sites, ``SiteDirectoryMixin``, with its timer ``sync_sites``);
``accounts.user_updated``, ``user_deleted`` and ``permissions_changed``: customers owned and open
follow-ups assigned by a user who may no longer be named on them lose their owner / assignee
(``departures``).
"""

from services.common import config, revocation
from services.common.base import ServiceBase
from services.common.sites import SiteDirectoryMixin
from services.common.context import CallerContext
from services.common.entrypoints import rpc
from services.common.consumer import subscribe
from services.common.mongo import MongoDatabase
from services.common.timers import Stopping, timer
from services.customers import (
    archive, audience, dates, dedupe, departures, effects, erasure, exports, followups, import_jobs, import_mappings,
    import_worker, insights, lists, merge, moves, recommendations, reorders,
    overview, parts, pipeline, reports, retention, saved_views, scorecards, settings, store, targets,
)

SAMPLE_CHECK_SECONDS = 5  # how often the list's sample is checked for age and growth (a few point reads)


class CustomersService(SiteDirectoryMixin, ServiceBase):
    name = "customers"
    outbox_collections = store.OUTBOX_COLLECTIONS

    db = MongoDatabase(name, archive.prepare_database)
    context = CallerContext()
    stopping = Stopping()
    learn_revocation = revocation.learn_revocation

    @rpc
    def create_customer(self, data, force=False):
        return archive.create_customer(self.db, self.caller, data, force=bool(force))

    @rpc
    def get_customer(self, customer_id):
        return archive.get_customer(self.db, self.caller, customer_id)

    @rpc
    def campaign_audience(self, site_id, segment=None, selection="primary", position=None, cursor=None, limit=None):
        return audience.audience(self.db, self.caller, site_id, segment, selection, position, cursor, limit)

    @rpc
    def date_matches(self, kind, on_date, days=0, site_id=None, cursor=None, limit=None):
        return dates.matches(self.db, self.caller, kind, on_date, days, site_id, cursor, limit)

    @rpc
    def update_customer(self, customer_id, data):
        return archive.update_customer(self.db, self.caller, customer_id, data)

    @rpc
    def delete_customer(self, customer_id, erase=False):
        return archive.delete_customer(self.db, self.caller, customer_id, erase=bool(erase))

    @rpc
    def restore_customer(self, customer_id):
        return archive.restore_customer(self.db, self.caller, customer_id)

    @rpc
    def verify_customer(self, customer_id):
        return archive.verify_customer(self.db, self.caller, customer_id)

    @rpc
    def list_customers(self, filters=None, limit=None, cursor=None):
        return lists.list_customers(self.db, self.caller, filters, limit, cursor)

    @rpc
    def review_due(self, limit=None, cursor=None):
        return lists.review_due(self.db, self.caller, limit, cursor)

    @rpc
    def list_parts(self, customer_id, part, limit=None, cursor=None):
        return parts.list_parts(self.db, self.caller, customer_id, part, limit, cursor)

    @rpc
    def create_part(self, customer_id, part, data):
        return parts.create_part(self.db, self.caller, customer_id, part, data, effects.Effects(self.db))

    @rpc
    def update_part(self, customer_id, part, part_id, data):
        return parts.update_part(self.db, self.caller, customer_id, part, part_id, data, effects.Effects(self.db))

    @rpc
    def delete_part(self, customer_id, part, part_id):
        return parts.delete_part(self.db, self.caller, customer_id, part, part_id, effects.Effects(self.db))

    # --- upkeep: tiers, lifecycle, churn, follow-ups, settings, 360 view, reports ---

    @rpc
    def overview(self, customer_id):
        return overview.overview(self.db, self.caller, customer_id)

    @rpc
    def set_tier_override(self, customer_id, data):
        return insights.set_tier_override(self.db, self.caller, customer_id, data)

    @rpc
    def clear_tier_override(self, customer_id):
        return insights.clear_tier_override(self.db, self.caller, customer_id)

    @rpc
    def tier_history(self, customer_id):
        return insights.tier_history(self.db, self.caller, customer_id)

    @rpc
    def get_settings(self, site_id):
        return settings.get_settings(self.db, self.caller, site_id)

    @rpc
    def update_settings(self, site_id, data):
        return settings.update_settings(self.db, self.caller, site_id, data)

    @rpc
    def report_tiers(self, filters=None):
        return reports.report_tiers(self.db, self.caller, filters)

    @rpc
    def report_sales(self, filters=None):
        return reports.report_sales(self.db, self.caller, filters)

    @rpc
    def report_funnel(self, filters=None):
        return reports.report_funnel(self.db, self.caller, filters)

    @rpc
    def report_churn(self, filters=None):
        return reports.report_churn(self.db, self.caller, filters)

    # --- targets, staff performance, pipeline ---

    @rpc
    def create_target(self, data):
        return targets.create_target(self.db, self.caller, data)

    @rpc
    def update_target(self, target_id, data):
        return targets.update_target(self.db, self.caller, target_id, data)

    @rpc
    def delete_target(self, target_id):
        return targets.delete_target(self.db, self.caller, target_id)

    @rpc
    def get_target(self, target_id):
        return targets.get_target(self.db, self.caller, target_id)

    @rpc
    def list_targets(self, filters=None):
        return targets.list_targets(self.db, self.caller, filters)

    @rpc
    def scorecard(self, query=None):
        return scorecards.scorecard(self.db, self.caller, query)

    @rpc
    def leaderboard(self, query=None):
        return scorecards.leaderboard(self.db, self.caller, query)

    @rpc
    def scorecard_rows(self, query=None):
        return scorecards.export_rows(self.db, self.caller, query)

    @rpc
    def pipeline(self, query=None):
        return pipeline.pipeline(self.db, self.caller, query)

    # --- reorder forecasts and recommendations ---

    @rpc
    def customer_forecast(self, customer_id):
        return reorders.forecast(self.db, self.caller, customer_id)

    @rpc
    def expected_orders(self, query=None, cursor=None, limit=None):
        return reorders.expected_orders(self.db, self.caller, query, cursor, limit)

    @rpc
    def recommendations(self, customer_id):
        return recommendations.recommendations(self.db, self.caller, customer_id)

    @timer(interval=min(config.get_float("CUSTOMERS_RECOMPUTE_INTERVAL"), config.get_float("CUSTOMERS_SCAN_INTERVAL")))
    def recompute_customers(self):
        """Checked every scan interval; one replica recomputes all customers once per
        CUSTOMERS_RECOMPUTE_INTERVAL, or at the next check after a site's settings changed."""
        insights.periodic_recompute(self.db, config.get_float("CUSTOMERS_RECOMPUTE_INTERVAL"), self.stopping)

    @timer(interval=config.get_float("CUSTOMERS_SCAN_INTERVAL"))
    def scan_followups(self):
        """Drop expired tier overrides, then announce due follow-ups and expiring contracts (each once)."""
        insights.expire_overrides(self.db)
        followups.scan(self.db)

    @timer(interval=SAMPLE_CHECK_SECONDS, eager=True)
    def sample_lists(self):
        """Sample the customers again when due or outgrown, to cut the customer list into windows."""
        lists.keep_sample(self.db)

    @timer(interval=config.get_float("CUSTOMERS_SCAN_INTERVAL"))
    def recount_lists(self):
        """Checked every scan interval; one replica recounts the list totals once per
        CUSTOMERS_RECOUNT_INTERVAL."""
        lists.periodic_recount(self.db, config.get_float("CUSTOMERS_RECOUNT_INTERVAL"))

    @timer(interval=config.get_float("CUSTOMERS_SCAN_INTERVAL"))
    def purge_customers(self):
        """Erase the personal data of customers deleted longer ago than their restore window."""
        erasure.purge_due(self.db)

    @timer(interval=config.get_float("CUSTOMERS_SCAN_INTERVAL"))
    def purge_finished_jobs(self):
        """Delete imports and merges finished longer ago than CUSTOMERS_JOB_RETENTION_DAYS."""
        retention.purge_finished(self.db)

    @subscribe("feedback.feedback_received")
    def on_feedback_received(self, event):
        insights.record_feedback_score(self.db, event)

    @subscribe("feedback.survey_response_received")
    def on_survey_response_received(self, event):
        insights.record_feedback_score(self.db, event)

    # --- users who left: their customers and follow-ups ---

    @subscribe("accounts.user_updated")
    def on_user_updated(self, event):
        departures.apply(self.db, event)

    @subscribe("accounts.user_deleted")
    def on_user_deleted(self, event):
        departures.apply(self.db, event)

    @subscribe("accounts.permissions_changed")
    def on_permissions_changed(self, event):
        departures.apply(self.db, event)

    @rpc
    def site_usage(self, site_id):
        return moves.site_usage(self.db, self.caller, site_id)

    # --- archive upkeep: import, export, duplicates, merge ---

    @rpc
    def duplicates(self, limit=None, cursor=None):
        return dedupe.duplicates(self.db, self.caller, limit, cursor)

    @rpc
    def merge(self, survivor_id, data):
        return merge.merge(self.db, self.caller, survivor_id, data)

    @rpc
    def list_merges(self, limit=None, cursor=None):
        """-> page of merges (as ``merge`` returns them, plus ``names``) whose survivor is in your sites,
        newest first (customers:write)."""
        return merge.list_merges(self.db, self.caller, limit, cursor)

    @rpc
    def revert_merge(self, merge_id):
        return merge.revert_merge(self.db, self.caller, merge_id)

    @timer(interval=30)
    def resume_merges(self):
        merge.resume_stale(self.db)

    @timer(interval=30)
    def resume_moves(self):
        moves.resume(self.db)

    @rpc
    def create_import(self, filename, dry_run=False, site_id=None):
        return import_jobs.create_import(self.db, self.caller, filename, dry_run, site_id)

    @rpc
    def append_import_chunk(self, import_id, seq, content_b64):
        return import_jobs.append_chunk(self.db, self.caller, import_id, seq, content_b64)

    @rpc
    def preview_import(self, import_id, entity="customers", sheet=None):
        return import_jobs.preview_import(self.db, self.caller, import_id, entity, sheet)

    @rpc
    def start_import(self, import_id, options=None):
        return import_jobs.start_import(self.db, self.caller, import_id, options)

    @rpc
    def import_fields(self, entity):
        return import_jobs.import_fields(self.caller, entity)

    @rpc
    def list_import_mappings(self, entity=None, site_id=None):
        return import_mappings.list_saved(self.db, self.caller, entity, site_id)

    @rpc
    def save_import_mapping(self, data):
        return import_mappings.save(self.db, self.caller, data)

    @rpc
    def delete_import_mapping(self, mapping_id):
        return import_mappings.delete(self.db, self.caller, mapping_id)

    @rpc
    def get_import(self, import_id):
        return import_jobs.get_import(self.db, self.caller, import_id)

    @rpc
    def import_errors(self, import_id, warnings=False):
        return import_jobs.import_errors(self.db, self.caller, import_id, warnings)

    @timer(interval=0.2, signal=import_jobs.STARTED, idle=import_worker.IDLE_SECONDS)
    def process_imports(self):
        return import_worker.run_tick(self.db)

    @rpc
    def export_rows(self, filters=None, cursor=None, limit=None):
        return exports.export_rows(self.db, self.caller, filters, cursor, limit)

    @rpc
    def record_export(self, filters, format, count):
        return exports.record_export(self.db, self.caller, filters, format, count)

    # --- saved views ---

    @rpc
    def list_views(self):
        return saved_views.list_views(self.db, self.caller)

    @rpc
    def create_view(self, data):
        return saved_views.create_view(self.db, self.caller, data)

    @rpc
    def delete_view(self, view_id):
        return saved_views.delete_view(self.db, self.caller, view_id)
