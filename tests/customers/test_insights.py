"""What refresh derives and announces, without a database."""
import datetime

from services.customers import insights, settings

NOW = datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.timezone.utc)
TODAY = NOW.date()
SETTINGS = settings.effective(None)


def customer(**fields):
    base = {"_id": "c1", "site_id": "s1", "legal_name": "Acme", "owner_id": "u1",
            "created_at": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
            "tier": {"level": "general", "reasons": [], "overridden": False}, "churn_risk": {"level": "none"}}
    base.update(fields)
    return base


def found(orders=(), scores=(), interaction=None, task=None):
    return {"orders": [{"order_date": d, "total_amount": a} for d, a in orders], "scores": list(scores),
            "last_interaction_at": interaction, "open_task": task}


def test_crossing_the_vip_threshold_changes_the_tier_and_says_why():
    derived = insights.derive(customer(), found([("2026-05-01", 700000), ("2026-05-20", 550000)]),
                              SETTINGS, TODAY, NOW)
    assert derived["tier"]["level"] == "vip" and derived["tier_rank"] == 3
    assert derived["tier"]["reasons"] == ["12-month amount 1 250 000 ≥ 1 000 000"]
    assert derived["lifecycle_stage"] == "repeat" and derived["last_order_date"] == "2026-05-20"
    assert derived["next_followup_date"] == "2024-01-31" and derived["followup_notice_pending"]
    emitted = insights.announcements(customer(), derived, "u9")
    assert [e["type"] for e in emitted] == ["customers.tier_changed", "customers.audit"]
    assert emitted[0]["data"]["old_tier"] == "general" and emitted[0]["data"]["new_tier"] == "vip"
    assert emitted[0]["actor"] == "u9" and emitted[0]["site_id"] == "s1"


def test_an_active_override_is_kept_and_wins():
    override = {"level": "key", "reason": "frame contract", "expires_at": None}
    current = customer(tier={"level": "key", "override": override, "overridden": True, "reasons": []})
    derived = insights.derive(current, found(), SETTINGS, TODAY, NOW)
    assert derived["tier"]["level"] == "key" and derived["tier"]["override"] == override
    assert derived["tier"]["computed"]["level"] == "general"
    assert insights.announcements(current, derived, "u1") == []


def test_rising_churn_risk_is_announced_falling_is_not():
    scores = [{"rating": 1, "nps": None, "at": NOW}, {"rating": 2, "nps": None, "at": NOW}]
    derived = insights.derive(customer(), found(scores=scores), SETTINGS, TODAY, NOW)
    assert derived["churn_risk"]["level"] == "high"
    emitted = insights.announcements(customer(), derived, "service:customers")
    assert [e["type"] for e in emitted] == ["customers.churn_risk_detected"]
    assert emitted[0]["data"]["reasons"] == derived["churn_risk"]["reasons"]
    calm = insights.derive(customer(), found(), SETTINGS, TODAY, NOW)
    assert insights.announcements(customer(churn_risk={"level": "high"}), calm, "x") == []


def test_an_announced_follow_up_date_is_not_pending_again():
    derived = insights.derive(customer(followup_announced_date="2024-03-31"), found(), SETTINGS, TODAY, NOW)
    assert derived["next_followup_date"] == "2024-03-31" and not derived["followup_notice_pending"]
