"""Date and schedule triggers: when a rule runs next, and what runs when that time comes.

A rule with a ``date`` or ``schedule`` trigger keeps ``next_fire_at`` (UTC): for a schedule the next
time of its cron expression in its site's time zone, for a date the next ``hour`` o'clock there
(default 8). The timer ``fire_due`` takes each rule whose time has come: a schedule makes one run,
with no record; a date asks the customers service, as the rule's owner, for the records whose date
it is that day at the rule's site (``customers.date_matches``), a page at a time, and makes a run for
each. Runs have ids derived from the rule, its version, the time (for a date, the day) and the
record, so a time handled twice (a crash before ``next_fire_at`` moved on, two replicas) runs nothing
twice; then
``next_fire_at`` moves to the following time, once (a compare-and-swap), so a service that was down
catches up on the days it missed, one a tick.
"""
import datetime
import logging

from cronsim import CronSim

from services.common import remote, sites
from services.common.clock import isoformat, utcnow
from services.common.errors import Unauthorized, Unavailable
from services.notifications import store

log = logging.getLogger(__name__)

DEFAULT_HOUR = 8
RULES_PER_TICK = 50
PAGE = 500


def next_fire(trigger, zone, after):
    """The first time after ``after`` (aware) that ``trigger`` (date or schedule) fires, in UTC; None for events."""
    local = after.astimezone(zone)
    if trigger.get("kind") == "schedule":
        found = next(CronSim(trigger["cron"], local.replace(tzinfo=None)))
        moment = found.replace(tzinfo=zone)
    elif trigger.get("kind") == "date":
        hour = trigger.get("hour", DEFAULT_HOUR)
        moment = local.replace(hour=hour, minute=0, second=0, microsecond=0)
        if moment <= local:
            moment = (local + datetime.timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    else:
        return None
    return moment.astimezone(datetime.timezone.utc).replace(microsecond=0)


def fire_due(db, make_runs, acting_token):
    """Fire the rules whose ``next_fire_at`` has come (up to RULES_PER_TICK). ``make_runs(rule, occurrence,
    event_type, items)`` stores the runs; ``acting_token(rule)`` is the owner's token."""
    now = utcnow()
    for rule in store.rules_to_fire(db, now, RULES_PER_TICK):
        occurrence = rule["next_fire_at"].replace(tzinfo=datetime.timezone.utc)
        zone = sites.zone_of(db, rule["site_id"])
        try:
            fire(rule, occurrence, zone, make_runs, acting_token)
        except Unavailable as exc:
            log.warning("rule %s not fired at %s yet: %s", rule["_id"], isoformat(occurrence), exc.message)
            continue
        store.move_fire_time(db, rule["_id"], rule["next_fire_at"], next_fire(rule["trigger"], zone, occurrence))


def fire(rule, occurrence, zone, make_runs, acting_token):
    trigger = rule["trigger"]
    if trigger["kind"] == "schedule":
        return make_runs(rule, occurrence, "schedule", [{"fired_at": isoformat(occurrence)}])
    day = occurrence.astimezone(zone).date().isoformat()
    event_type = "date.%s" % trigger["date"]
    try:
        token = acting_token(rule)
    except Unauthorized as exc:
        return make_runs(rule, occurrence, event_type, [], failure=exc.message)
    cursor = None
    while True:
        page = remote.call("customers", "date_matches", trigger["date"], day, trigger.get("days") or 0,
                           rule["site_id"], cursor, PAGE, token=token)
        make_runs(rule, occurrence, event_type, [dict(item, kind=trigger["date"], days=trigger.get("days"), day=day)
                                                 for item in page["items"]])
        cursor = page.get("next_cursor")
        if not cursor:
            return None
