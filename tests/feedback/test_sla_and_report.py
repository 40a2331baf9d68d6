"""Due times per severity and site, SLA outcomes, and the satisfaction report's figures."""
import datetime

from services.feedback import reports, sla

T0 = datetime.datetime(2026, 10, 30, 8, 0, tzinfo=datetime.timezone.utc)


def hours(n):
    return datetime.timedelta(hours=n)


def test_due_times_by_severity_and_a_site_override():
    defaults = sla.site_settings(None)
    assert [sla.due_at(defaults, s, T0) - T0 for s in sla.SEVERITIES] == [hours(4), hours(24), hours(72), hours(168)]
    site = sla.site_settings({"_id": "s1", "sla_hours": {"critical": 2}, "categories": ["quality"], "version": 3})
    assert sla.due_at(site, "critical", T0) - T0 == hours(2) and site["sla_hours"]["low"] == 168
    assert site["categories"] == ["quality"] and "other" in defaults["categories"]


def test_the_first_outcome_decides_the_sla():
    item = {"due_at": T0 + hours(4), "sla_breached_at": None, "sla_met": None}
    assert sla.met_on_resolution(item, T0 + hours(3)) is True
    assert sla.met_on_resolution(item, T0 + hours(5)) is False
    assert sla.met_on_resolution(dict(item, sla_met=True), T0 + hours(50)) is True
    assert sla.met_on_resolution(dict(item, sla_breached_at=T0 + hours(4), sla_met=True), T0 + hours(3)) is False


def test_nps_is_promoters_minus_detractors():
    assert reports.nps([10, 9, 8, 7, 6, 0]) == {"score": 0.0, "promoters": 2, "passives": 2, "detractors": 2,
                                               "count": 6}
    assert reports.nps([10, 10, 3])["score"] == 33.3
    assert reports.nps([])["score"] is None


def test_the_report_from_documents():
    feedback = [
        {"category": "quality", "severity": "high", "type": "complaint", "channel": "phone", "rating": 2,
         "sla_met": True, "created_at": T0, "first_resolved_at": T0 + hours(10)},
        {"category": "quality", "severity": "normal", "type": "complaint", "channel": "email", "rating": None,
         "sla_met": False, "created_at": T0 + hours(1), "first_resolved_at": T0 + hours(31)},
        {"category": "delivery", "severity": "low", "type": "suggestion", "channel": "web", "rating": 5,
         "sla_met": None, "created_at": T0 + hours(48), "first_resolved_at": None},
        {"category": "other", "severity": "high", "type": "complaint", "channel": "survey", "rating": 1,
         "sla_met": None, "created_at": T0 + hours(49), "first_resolved_at": None},
    ]
    sent = [{"used_at": T0}, {"used_at": None}, {"used_at": T0}, {"used_at": None}]
    responses = [{"rating": 1, "nps": 2, "answered_at": T0 + hours(49)}, {"rating": 4, "nps": 9, "answered_at": T0}]
    report = reports.compute(feedback, sent, responses)
    assert report["feedback"]["by_category"] == {"quality": 2, "delivery": 1, "other": 1}
    assert report["feedback"]["by_severity"] == {"high": 2, "normal": 1, "low": 1}
    assert report["top_categories"] == [{"category": "quality", "complaints": 2, "share": 0.6667},
                                        {"category": "other", "complaints": 1, "share": 0.3333}]
    assert report["csat"] == {"average": 3.0, "satisfied_share": 0.5, "count": 4}
    assert report["nps"]["score"] == 0.0
    assert report["response_rate"] == {"sent": 4, "answered": 2, "rate": 0.5}
    assert report["sla"] == {"met": 1, "missed": 1, "compliance": 0.5}
    assert report["median_hours_to_resolve"] == 20.0
    assert report["trend"] == [
        {"month": "2026-10", "feedback": 2, "complaints": 2, "responses": 1, "csat_average": 3.0, "nps": 100.0},
        {"month": "2026-11", "feedback": 2, "complaints": 1, "responses": 1, "csat_average": 3.0, "nps": -100.0}]


def test_an_empty_report_has_no_averages():
    report = reports.compute([], [], [])
    assert report["csat"]["average"] is None and report["nps"]["score"] is None
    assert report["response_rate"]["rate"] is None and report["sla"]["compliance"] is None
    assert report["median_hours_to_resolve"] is None and report["trend"] == []
