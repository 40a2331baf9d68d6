"""The accounts service: users, factory sites, roles and permissions, tokens, login history,
password reset and the audit trail.

Every method but the public ones (``login``, ``refresh``, ``logout``, ``request_password_reset``,
``confirm_password_reset``, ``health``, ``revocations_since``, ``site_directory``) needs a valid
access token in the nameko context data key ``authorization``; permissions and site scope are
checked here, not only at the gateway.
Lists return ``{"items": [...], "next_cursor": str|None, "total": int}`` and take
``limit`` (1-500, default 50) and ``cursor``. Times are UTC ISO 8601 strings.

RPC methods (called as ``accounts.<method>``):

- ``health() -> {service, version, db}``
- ``login(identifier, password, client_addr=None, user_agent=None) -> session``
  ``session = {access_token, refresh_token, token_type: "Bearer", expires_in, user}``;
  Unauthorized ``invalid_credentials`` for an unknown user, a wrong password or a disabled
  account; TooManyAttempts (``extra.retry_after`` seconds) while sign-ins of the account, of the
  account from this address, or from this address are delayed (``lockout``; ``client_addr=None``
  counts as one shared address). The access token of a user who must change their password is
  accepted only by ``me`` and ``change_password`` (Forbidden ``password_change_required``).
- ``refresh(refresh_token) -> session``: rotates the token; a spent one revokes its family
  (Unauthorized ``invalid_refresh_token``, audited and logged); permissions and sites are read
  afresh. A family ends 30 days after its login, however often it is rotated.
- ``logout(refresh_token) -> {}``: revokes the token's family and ends its access tokens.
- ``request_password_reset(email, client_addr=None) -> {}``: mails a link only to a known address
  and voids earlier links; TooManyAttempts per e-mail or per address, known or not.
- ``confirm_password_reset(token, new_password) -> {}``: BadRequest ``reset_token_invalid``,
  ``reset_token_expired`` or ``reset_token_used``; ValidationFailed on ``new_password``.
- ``me() -> user``; ``change_password(current_password, new_password) -> {}`` (the current password
  check is throttled per user: TooManyAttempts; a change voids every reset link).
- ``list_users(filters={site_id, role, status, q}, limit, cursor) -> page`` (users:admin)
- ``create_user(data) -> user`` (users:admin); data: username, email, password, display_name,
  phone, position, language, sites, roles.
- ``get_user(user_id) -> user``; ``update_user(user_id, data) -> user`` (``data.version``
  required; own contact details, or users:admin within ``delegation``'s rules; a change of one's
  own e-mail needs ``data.current_password`` and mails the old address).
- ``delete_user(user_id, confirm) -> {}`` (users:admin; ``confirm`` must equal the username).
- ``unlock_user(user_id) -> user`` (users:admin): lifts every sign-in delay of the account.
- ``list_logins(user_id, limit, cursor) -> page`` (the user themself or users:admin)
- ``get_permissions(user_id) -> permissions``; ``set_permissions(user_id, data) -> permissions``
  (users:admin, never one's own; only what the caller holds, ``delegation``);
  ``permissions = {user_id, roles, grants, revocations, effective, version}``.
- ``user_directory(user_ids) -> {items: [{id, display_name, email, language, sites, permissions,
  status}]}``: for other services (assignees, recipients); any signed-in caller, limited to users
  sharing a site with the caller unless it holds ``sites:all``; unknown ids are left out.
- ``colleagues(filters, limit) -> {items: [{id, username, display_name, position, sites}]}``: active
  users at the caller's sites for pickers and names (filters: site_id, q, ids); any signed-in caller.
- ``site_staff(site_id) -> {items: [{id, username, display_name}]}``: every active user working at the site
  (not sites:all holders), whom its scorecards rank; targets:manage at the site.
- ``list_roles() -> {roles: [{name, permissions}], permissions: [{name, description}]}``
- ``list_sites() -> {items}`` (deleted sites left out); ``create_site(data) -> site``,
  ``update_site(site_id, data={name, address, timezone, status: active|disabled, version}) -> site``,
  ``delete_site(site_id, confirm) -> {}`` (sites:admin with sites:all); site: id, code, name, address,
  timezone, status, version. A disabled site takes no new record in any service; only a disabled site
  is deleted (else Conflict ``site_active``), ``confirm`` being its code, and only once no user works
  there, it has no team and every service's ``site_usage`` counts nothing (else Conflict ``site_in_use``,
  extra ``{total, counts: {"users" | "teams" | "<service>.<collection>": n}}``; a service not answering
  is 503).
- ``site_directory(site_ids=None) -> {items: [{site_id, code, name, timezone, status, version}]}``:
  every site, deleted ones as tombstones, or those of ``site_ids`` (at most 100); public, no
  secret: each service's replica (``services.common.sites``) is filled from it.
- Sales teams (``teams``): ``team = {id, site_id, name, member_ids, leader_id, version, created_at,
  updated_at}``; members are active users of the team's site, the leader one of them, the name unique
  in the site whatever its case. Reads: any signed-in user of the site; writes: ``targets:manage`` at
  the team's site. Another site's team or site is NotFound.
  ``team(team_id) -> team``; ``teams(site_id=None) -> {items: [team]}`` (the caller's sites, by site
  and name); ``member_teams(user_id) -> [team_id]``: the teams the user belongs to at the caller's
  sites. ``create_team(data={site_id, name, member_ids, leader_id}) -> team``;
  ``update_team(team_id, data={name, member_ids, leader_id, version}) -> team`` (Conflict on a stale
  version or a name taken, ValidationFailed naming ``member_ids`` / ``leader_id``);
  ``delete_team(team_id) -> {}``. A user disabled, deleted or taken off a site leaves its teams there.
- ``list_audit(filters={actor, entity_type, entity_id, site_id, action, since, until}, limit, cursor)
  -> page`` (audit:read): entries of the caller's sites; those without a site for ``sites:all`` only.
- ``grant_automation(rule_id, site_id, purpose="automation") -> {grant}`` (automations:manage, or
  reports:read for ``purpose="report"``; ``site_id`` one of the caller's sites, None for sites:all
  holders or, for a report, the caller's sites): a secret by which the rule, campaign or report
  subscription ``rule_id`` acts as the caller; earlier grants of the same id stop working.
  ``revoke_automation(rule_id) -> {revoked}``.
- ``automation_token(grant) -> {access_token, expires_in, user_id}``: public (the grant is the
  proof); a short-lived token of the grant's owner, narrowed to the rule's site and to the
  permissions actions use (``automation_grants``); Unauthorized ``automation_owner_cannot_act``
  when the grant is unknown or the owner is no longer active, lost automations:manage or the site.
- ``revocations_since(since=None) -> {items: [{user_id, session_id, min_version, expires_at}], as_of}``:
  the access-token revocations recorded from ``since`` (ISO 8601; at most one token lifetime
  back), for every process's token check (``services.common.revocation``); public, no secret.

Timer ``sweep_expired`` (each minute): deletes expired refresh and reset tokens, session
revocations and sign-in counters (``store.sweep_expired``; no TTL index).
"""
import logging

from services.accounts import (audit, automation_grants, contract, events, management, sessions, sites, store,
                               teams, token_revocations)
from services.accounts.keys import TokenSigner
from services.common import config, revocation
from services.common.base import ServiceBase
from services.common.clock import utcnow
from services.common.consumer import subscribe
from services.common.context import CallerContext
from services.common.entrypoints import rpc
from services.common.errors import CrmError
from services.common.mongo import MongoDatabase
from services.common.timers import timer

log = logging.getLogger(__name__)
LOGIN_RECORD = contract.LoginRecordSchema()
AUDIT_ENTRY = contract.AuditEntrySchema()


class AccountsService(ServiceBase):
    name = "accounts"
    outbox_collections = store.OUTBOX_COLLECTIONS

    db = MongoDatabase(name, store.ensure_indexes)
    context = CallerContext(password_change_methods=("me", "change_password"))
    signer = TokenSigner()

    def _sessions(self):
        return sessions.Sessions(self.db, self.signer, store, events)

    @timer(interval=60, eager=True)
    def bootstrap(self):
        """The first admin, and (once a release) the users' permissions under this release's roles."""
        try:
            management.ensure_first_admin(self.db, config.get("CRM_ADMIN_EMAIL"), config.get("CRM_ADMIN_PASSWORD"))
        except CrmError as exc:
            log.error("cannot create the first admin: %s %s", exc.message, exc.fields)
        changed = management.refresh_role_permissions(self.db)
        if changed:
            log.info("permissions of %d users worked out again under this release's roles", changed)

    @timer(interval=60, guard="expiry sweep")
    def sweep_expired(self):
        store.sweep_expired(self.db, utcnow())

    @rpc
    def login(self, identifier, password, client_addr=None, user_agent=None):
        return self._sessions().login(identifier, password, client_addr, user_agent)

    @rpc
    def refresh(self, refresh_token):
        return self._sessions().refresh(refresh_token)

    @rpc
    def logout(self, refresh_token):
        return self._sessions().logout(refresh_token)

    @rpc
    def request_password_reset(self, email, client_addr=None):
        return self._sessions().request_reset(email, config.get("CRM_PUBLIC_URL"), client_addr)

    @rpc
    def confirm_password_reset(self, token, new_password):
        return self._sessions().confirm_reset(token, new_password)

    @rpc
    def me(self):
        return management.get_user(self.db, self.context.caller, self.context.caller.user_id)

    @rpc
    def change_password(self, current_password, new_password):
        return self._sessions().change_password(self.context.caller.user_id, current_password, new_password)

    @rpc
    def list_users(self, filters=None, limit=None, cursor=None):
        return management.list_users(self.db, self.context.caller, filters, limit, cursor)

    @rpc
    def colleagues(self, filters=None, limit=None):
        """-> {items: [{id, username, display_name, position, sites}]}: active users at the caller's
        sites (``filters``: site_id, q name prefix, ids; at most ``limit``, 200). Any signed-in caller."""
        return management.colleagues(self.db, self.context.caller, filters, limit)

    @rpc
    def create_user(self, data):
        return management.create_user(self.db, self.context.caller, data)

    @rpc
    def get_user(self, user_id):
        return management.get_user(self.db, self.context.caller, user_id)

    @rpc
    def update_user(self, user_id, data):
        return management.update_user(self.db, self.context.caller, user_id, data, self._sessions())

    @rpc
    def delete_user(self, user_id, confirm):
        return management.delete_user(self.db, self.context.caller, user_id, confirm)

    @rpc
    def unlock_user(self, user_id):
        return management.unlock_user(self.db, self.context.caller, user_id)

    @rpc
    def list_logins(self, user_id, limit=None, cursor=None):
        management.get_user(self.db, self.context.caller, user_id)
        documents, next_cursor, total, bound = store.list_logins(self.db, user_id, limit, cursor)
        return {"items": LOGIN_RECORD.dump(documents, many=True), "next_cursor": next_cursor, "total": total,
                "total_is_lower_bound": bound}

    @rpc
    def get_permissions(self, user_id):
        return management.get_permissions(self.db, self.context.caller, user_id)

    @rpc
    def set_permissions(self, user_id, data):
        return management.set_permissions(self.db, self.context.caller, user_id, data)

    @rpc
    def site_people(self, site_id):
        """-> {items: [{id, username, display_name, email, sites, permissions}]}: the active users who may
        be named on the site's records (an import matches owners by name, username or e-mail);
        customers:write at the site."""
        return management.site_people(self.db, self.context.caller, site_id)

    @rpc
    def site_staff(self, site_id):
        """-> {items: [{id, username, display_name}]}: the active users working at the site (not
        sites:all holders), by name; targets:manage at the site."""
        return management.site_staff(self.db, self.context.caller, site_id)

    @rpc
    def user_directory(self, user_ids):
        return management.user_directory(self.db, self.context.caller, user_ids)

    @rpc
    def list_roles(self):
        self.context.caller  # raises Unauthorized without a valid token
        return management.list_roles()

    @rpc
    def grant_automation(self, rule_id, site_id, purpose="automation"):
        return automation_grants.grant(self.db, self.context.caller, rule_id, site_id, purpose)

    @rpc
    def revoke_automation(self, rule_id):
        return automation_grants.revoke(self.db, self.context.caller, rule_id)

    @rpc
    def automation_token(self, grant):
        return automation_grants.token_for(self.db, self.signer, grant)

    @rpc
    def list_sites(self):
        return sites.list_sites(self.db, self.context.caller)

    @rpc
    def create_site(self, data):
        return sites.create_site(self.db, self.context.caller, data)

    @rpc
    def update_site(self, site_id, data):
        return sites.update_site(self.db, self.context.caller, site_id, data)

    @rpc
    def delete_site(self, site_id, confirm):
        return sites.delete_site(self.db, self.context.caller, site_id, confirm)

    @rpc
    def site_directory(self, site_ids=None):
        return sites.site_directory(self.db, site_ids)

    @rpc
    def team(self, team_id):
        """-> team: one of the caller's sites (NotFound otherwise); any signed-in caller."""
        return teams.get_team(self.db, self.context.caller, team_id)

    @rpc
    def teams(self, site_id=None):
        """-> {items: [team]}: the teams of ``site_id`` (one of the caller's: NotFound otherwise) or of
        every site of the caller, by site and name; any signed-in caller."""
        return teams.list_teams(self.db, self.context.caller, site_id)

    @rpc
    def member_teams(self, user_id):
        """-> [team_id]: the teams ``user_id`` belongs to at the caller's sites, by name."""
        return teams.member_teams(self.db, self.context.caller, user_id)

    @rpc
    def create_team(self, data):
        """``data = {site_id, name, member_ids, leader_id}`` -> team (targets:manage at the site)."""
        return teams.create_team(self.db, self.context.caller, data)

    @rpc
    def update_team(self, team_id, data):
        """``data = {name?, member_ids?, leader_id?, version}`` -> team (targets:manage at its site)."""
        return teams.update_team(self.db, self.context.caller, team_id, data)

    @rpc
    def delete_team(self, team_id):
        """-> {} (targets:manage at the team's site)."""
        return teams.delete_team(self.db, self.context.caller, team_id)

    @rpc
    def list_audit(self, filters=None, limit=None, cursor=None):
        caller = self.context.caller
        caller.require("audit:read")
        documents, next_cursor, total, bound = audit.list_entries(self.db, caller, filters, limit, cursor)
        return {"items": AUDIT_ENTRY.dump(documents, many=True), "next_cursor": next_cursor, "total": total,
                "total_is_lower_bound": bound}

    @rpc
    def revocations_since(self, since=None):
        return token_revocations.since(self.db, since)

    learn_revocation = revocation.learn_revocation

    @subscribe("accounts.audit", idempotent=True)
    def record_accounts_audit(self, event):
        management.record_own_audit(self.db, audit.entry_from_event(event))

    @subscribe("customers.audit", idempotent=True)
    def record_customers_audit(self, event):
        audit.record_customer_audit(self.db, event)

    @subscribe("customers.audit_entries", idempotent=True)
    def record_customers_audit_entries(self, event):
        audit.record_customer_audit(self.db, event)

    @subscribe("customers.customer_erased")
    def anonymise_erased_customer(self, event):
        audit.anonymise_customer(self.db, event)

    @subscribe("customers.customer_purged")
    def anonymise_purged_customer(self, event):
        audit.anonymise_customer(self.db, event)

    @subscribe("feedback.audit", idempotent=True)
    def record_feedback_audit(self, event):
        store.insert_audit(self.db, audit.entry_from_event(event))

    @subscribe("notifications.audit", idempotent=True)
    def record_notifications_audit(self, event):
        store.insert_audit(self.db, audit.entry_from_event(event))
