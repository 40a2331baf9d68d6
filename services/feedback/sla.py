"""Service levels: when an item is due, per severity and site, and which items breached.

A site's settings may change the hours per severity and the categories; the rest of the
defaults stay. An item breaches at most once: the scan marks it and emits ``sla_breached``
in the same write, so replicas scanning at the same time cannot both report it.
"""
import datetime

from services.feedback import contract

SEVERITIES = contract.SEVERITIES
SEVERITY_RANK = {"critical": 4, "high": 3, "normal": 2, "low": 1}
DEFAULT_SLA_HOURS = {"critical": 4, "high": 24, "normal": 72, "low": 168}
DEFAULT_CATEGORIES = contract.DEFAULT_CATEGORIES


def site_settings(stored):
    """The effective settings of a site from its stored document (or None)."""
    stored = stored or {}
    hours = dict(DEFAULT_SLA_HOURS, **(stored.get("sla_hours") or {}))
    return {"site_id": stored.get("_id"), "sla_hours": hours,
            "categories": list(stored.get("categories") or DEFAULT_CATEGORIES),
            "version": stored.get("version", 0)}


def due_at(settings, severity, start):
    return start + datetime.timedelta(hours=settings["sla_hours"][severity])


def met_on_resolution(item, now):
    """Whether resolving ``item`` now meets its SLA: never after a breach; otherwise its first
    resolution decides (a resolution after a reopening does not change it)."""
    if item.get("sla_breached_at"):
        return False
    if item.get("sla_met") is not None:
        return item["sla_met"]
    return now <= item["due_at"]

