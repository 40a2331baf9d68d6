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
- ``get_customer(customer_id)``, ``update_customer(customer_id, data)``,
  ``delete_customer(customer_id, erase=False) -> {}`` (soft, restorable 30 days),
  ``restore_customer(customer_id)``, ``verify_customer(customer_id)``
- ``list_customers(filters={q, tier, tag, industry, region, owner_id, lifecycle, churn_risk, site_id,
  status, parent_id, deleted, sort}, limit, cursor) -> page``
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
- ``duplicates(limit) -> {clusters}``, ``merge(survivor_id, data={merged_ids, fields}) -> merge``,
  ``revert_merge(merge_id) -> merge``
- ``create_import(filename, dry_run) -> job``, ``append_import_chunk(import_id, seq, content_b64)``,
  ``start_import(import_id) -> job``, ``get_import(import_id) -> job``,
  ``import_errors(import_id) -> {filename, content}`` (CSV of row, field, message)
- ``export_rows(filters, cursor, limit) -> {columns, rows, next_cursor}``,
  ``record_export(filters, format, count) -> {}`` (audited)
- ``report_tiers(filters)``, ``report_sales(filters)``, ``report_funnel(filters)``,
  ``report_churn(filters)`` (reports:read; filters ``site_id``, ``since``, ``until``)
"""

from services.common.base import ServiceBase, rpc
from services.common.context import CallerContext
from services.common.mongo import MongoDatabase
from services.customers import archive, effects, parts, store


class CustomersService(ServiceBase):
    name = "customers"
    outbox_collections = store.OUTBOX_COLLECTIONS

    db = MongoDatabase(name, store.ensure_indexes)
    context = CallerContext()

    @property
    def caller(self):
        return self.context.caller

    @rpc
    def create_customer(self, data, force=False):
        return archive.create_customer(self.db, self.caller, data, force=bool(force))

    @rpc
    def get_customer(self, customer_id):
        return archive.get_customer(self.db, self.caller, customer_id)

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
        return archive.list_customers(self.db, self.caller, filters, limit, cursor)

    @rpc
    def review_due(self, limit=None, cursor=None):
        return archive.review_due(self.db, self.caller, limit, cursor)

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
