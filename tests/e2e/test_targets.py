"""Sales targets, scorecards, leaderboards and the pipeline forecast through the gateway, on the real
broker and database servers: targets set and split, attainment moving as orders and payments are
recorded, who sees which target, every scorecard measure against a seeded history with known answers,
the download, and site scope."""
import datetime
import io
import types
import zoneinfo

import openpyxl
import pytest
import requests

from services.common.signing import secret_of
from tests.e2e.test_identity import create_user, signed_in
from tests.support import events
from tests.support.api import eventually
from tests.support.customers import add_part, create_customer, create_site, order

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def today():
    return datetime.datetime.now(SHANGHAI).date()


def day(offset):
    return (today() + datetime.timedelta(days=offset)).isoformat()


def quarter():
    now = today()
    return "%d-Q%d" % (now.year, (now.month - 1) // 3 + 1)


def in_quarter(offset):
    """A day ``offset`` days from today, kept inside the current quarter."""
    now = today()
    first = datetime.date(now.year, (now.month - 1) // 3 * 3 + 1, 1)
    last = (datetime.date(first.year + (first.month + 2) // 12, (first.month + 2) % 12 + 1, 1)
            - datetime.timedelta(days=1))
    return min(max(now + datetime.timedelta(days=offset), first), last).isoformat()


@pytest.fixture(scope="module")
def crew(stack, admin_api):
    """Sites A and B; in A a manager, two sales users, a service user; in B a manager; all signed in."""
    site_a, site_b = create_site(admin_api, "A"), create_site(admin_api, "B")
    users = {name: create_user(admin_api, [site["id"]], [role]) for name, site, role in (
        ("manager_a", site_a, "manager"), ("sales_a", site_a, "sales"), ("sales_a2", site_a, "sales"),
        ("service_a", site_a, "service"), ("manager_b", site_b, "manager"))}
    crew = types.SimpleNamespace(site_a=site_a, site_b=site_b, users=users,
                                 **{name: signed_in(stack, user) for name, user in users.items()})
    response = crew.manager_a.post("/teams", {"site_id": site_a["id"], "name": "East sales", "member_ids": [
        users["sales_a"]["id"], users["sales_a2"]["id"]]})
    assert response.status_code == 201, response.text
    crew.team = response.json()
    return crew


def set_target(api, expected=201, **body):
    response = api.post("/targets", body)
    assert response.status_code == expected, response.text
    return response.json()


def target(api, target_id):
    response = api.get("/targets/%s" % target_id)
    assert response.status_code == 200, response.text
    return response.json()


def actual(api, target_id):
    return target(api, target_id)["attainment"]["actual"]


def test_a_site_target_split_over_a_team_and_a_user_moves_as_orders_and_payments_are_recorded(crew):
    site_id, sales_a = crew.site_a["id"], crew.users["sales_a"]["id"]
    site = set_target(crew.manager_a, site_id=site_id, period=quarter(), measure="order_amount", value=100000,
                      holder_kind="site")
    assert site["attainment"]["actual"] == 0 and site["holder_name"] == crew.site_a["name"]
    assert site["since"] <= today().isoformat() <= site["until"]
    team = set_target(crew.manager_a, parent_id=site["id"], value=60000, holder_kind="team",
                      holder_id=crew.team["id"])
    assert (team["site_id"], team["period"], team["measure"], team["holder_name"]) == (
        site_id, quarter(), "order_amount", "East sales")
    user = set_target(crew.manager_a, parent_id=team["id"], value=40000, holder_kind="user", holder_id=sales_a)
    detail = target(crew.manager_a, site["id"])
    assert [c["id"] for c in detail["children"]] == [team["id"]] and detail["unassigned"] == 40000

    customer = create_customer(crew.sales_a)
    add_part(crew.manager_a, customer["id"], "orders", order(amount=25000, order_date=in_quarter(0)))
    add_part(crew.manager_a, customer["id"], "orders", dict(order(amount=9000, order_date=in_quarter(0)),
                                                            status="cancelled"))
    add_part(crew.manager_a, customer["id"], "orders", order(amount=7000, order_date="2020-01-15"))
    assert [actual(crew.manager_a, t["id"]) for t in (site, team, user)] == [25000, 25000, 25000]
    shown = target(crew.manager_a, user["id"])["attainment"]
    assert shown["percent"] == 0.625 and shown["remaining"] == 15000
    assert shown["days_total"] >= 90 and 1 <= shown["days_elapsed"] <= shown["days_total"]
    if shown["days_elapsed"] < shown["days_total"]:
        left = shown["days_total"] - shown["days_elapsed"]
        assert shown["run_rate_needed"] == round(15000 / left, 2)
    assert shown["projection"] == round(25000 / shown["days_elapsed"] * shown["days_total"], 2)

    other = create_customer(crew.sales_a2)
    add_part(crew.manager_a, other["id"], "orders", order(amount=10000, order_date=in_quarter(0)))
    assert [actual(crew.manager_a, t["id"]) for t in (site, team, user)] == [35000, 35000, 25000]

    # The customer changes hands: what sales_a earned stays theirs, the next order is sales_a2's.
    current = crew.manager_a.get("/customers/%s" % customer["id"]).json()
    moved = crew.manager_a.patch("/customers/%s" % customer["id"], {
        "owner_id": crew.users["sales_a2"]["id"], "version": current["version"]})
    assert moved.status_code == 200, moved.text
    add_part(crew.manager_a, customer["id"], "orders", order(amount=1000, order_date=in_quarter(0)))
    assert [actual(crew.manager_a, t["id"]) for t in (site, team, user)] == [36000, 36000, 25000]

    payments = set_target(crew.manager_a, site_id=site_id, period=quarter(), measure="payments", value=20000,
                          holder_kind="user", holder_id=crew.users["sales_a2"]["id"])
    add_part(crew.manager_a, other["id"], "payments", {"payment_date": in_quarter(0), "amount": 4000})
    assert actual(crew.manager_a, payments["id"]) == 4000

    # Who sees what: the holder their own and their team's; the other site nothing; the service user no amounts.
    seen = crew.sales_a.get("/targets", params={"period": quarter()}).json()["items"]
    assert {t["id"] for t in seen} == {team["id"], user["id"]}
    seen = crew.sales_a2.get("/targets", params={"period": quarter()}).json()["items"]
    assert {t["id"] for t in seen} == {team["id"], payments["id"]}
    assert crew.service_a.get("/targets", params={"period": quarter()}).json()["items"] == []
    assert crew.sales_a.get("/targets/%s" % site["id"]).status_code == 404
    assert crew.manager_b.get("/targets/%s" % site["id"]).status_code == 404
    assert crew.manager_b.get("/targets", params={"site_id": site_id}).status_code == 404
    assert crew.manager_b.patch("/targets/%s" % site["id"], {"value": 1, "version": 1}).status_code == 404

    # Changing and deleting.
    changed = crew.manager_a.patch("/targets/%s" % user["id"], {"value": 50000, "version": user["version"]})
    assert changed.status_code == 200 and changed.json()["attainment"]["percent"] == 0.5
    stale = crew.manager_a.patch("/targets/%s" % user["id"], {"value": 1, "version": user["version"]})
    assert stale.status_code == 409 and stale.json()["error"]["fields"] == {"version": ["Stale version."]}
    assert crew.manager_a.delete("/targets/%s" % team["id"]).status_code == 204
    assert crew.manager_a.get("/targets/%s" % user["id"]).status_code == 404
    assert target(crew.manager_a, site["id"])["unassigned"] == 100000


def test_bad_targets_are_refused_naming_the_field(crew):
    site_id, api = crew.site_a["id"], crew.manager_a

    def refused(status, field, **body):
        response = api.post("/targets", body)
        assert response.status_code == status, response.text
        assert field in response.json()["error"]["fields"], response.text

    base = dict(site_id=site_id, period=quarter(), measure="new_customers", value=10)
    refused(422, "period", **dict(base, period="2027-Q5", holder_kind="site"))
    refused(422, "period", **dict(base, period="27", holder_kind="site"))
    refused(422, "value", **dict(base, value=0, holder_kind="site"))
    refused(422, "value", **dict(base, value="NaN", holder_kind="site"))
    refused(422, "measure", **dict(base, measure="happiness", holder_kind="site"))
    refused(422, "holder_id", **dict(base, holder_kind="user", holder_id=crew.users["manager_b"]["id"]))
    refused(422, "holder_id", **dict(base, holder_kind="team"))
    refused(422, "holder_id", **dict(base, holder_kind="team", holder_id="no-such-team"))
    refused(422, "site_id", **dict(base, site_id=crew.site_b["id"], holder_kind="site"))
    refused(422, "parent_id", **dict(base, holder_kind="user", holder_id=crew.users["sales_a"]["id"],
                                     parent_id="no-such-target"))
    first = set_target(api, **dict(base, period="2031", holder_kind="site"))
    refused(409, "holder_id", **dict(base, period="2031", holder_kind="site"))
    refused(422, "measure", parent_id=first["id"], measure="orders_won", value=1, holder_kind="user",
            holder_id=crew.users["sales_a"]["id"])
    team = set_target(api, parent_id=first["id"], value=5, holder_kind="team", holder_id=crew.team["id"])
    refused(422, "holder_id", parent_id=team["id"], value=1, holder_kind="user",
            holder_id=crew.users["service_a"]["id"])
    assert crew.sales_a.post("/targets", dict(base, holder_kind="site")).status_code == 403
    assert api.get("/targets", params={"period": "2027-13"}).status_code == 422


@pytest.fixture(scope="module")
def feedback_events(test_env):
    with events.tap(test_env["AMQP_URI"], "feedback") as tap:
        yield tap.received


def answer_survey(stack, manager, feedback_events, site_id, customer_id, scores):
    """A survey of a rating and an NPS question sent to a contact of the customer per ``(rating, nps)``,
    each answered with its scores through the public link."""
    survey = manager.post("/surveys", {"title": "After delivery", "language": "en", "site_id": site_id, "questions": [
        {"kind": "rating", "text": "How satisfied are you?"}, {"kind": "nps", "text": "Would you recommend us?"}]})
    assert survey.status_code == 201, survey.text
    contacts = [add_part(manager, customer_id, "contacts", {"name": "Buyer %d" % n, "email": "b%d@buyer.example" % n})
                for n in range(len(scores))]
    sent = manager.post("/surveys/%s/send" % survey.json()["id"], {"customer_id": customer_id,
                                                                   "contact_ids": [c["id"] for c in contacts]})
    assert sent.status_code == 201, sent.text
    links = {e["data"]["contact_id"]: secret_of(e)["link"].rsplit("/s/", 1)[1] for e in feedback_events(
        "feedback.survey_sent", at_least=len(scores), survey_id=survey.json()["id"])}
    for contact, (rating, nps) in zip(contacts, scores):
        answered = requests.post("%s/s/%s" % (stack.url, links[contact["id"]]),
                                 json={"answers": {"q1": rating, "q2": nps}}, timeout=20)
        assert answered.status_code == 200, answered.text


@pytest.fixture(scope="module")
def history(stack, admin_api, feedback_events):
    """A site of its own with a seeded history whose every measure is known (see the test)."""
    site = create_site(admin_api, "C")
    users = {name: create_user(admin_api, [site["id"]], roles) for name, roles in (
        ("manager", ["manager"]), ("seller", ["sales", "service"]), ("idle", ["sales"]), ("service", ["service"]))}
    people = types.SimpleNamespace(site=site, users=users,
                                   **{name: signed_in(stack, user) for name, user in users.items()})
    seller, manager = people.seller, people.manager
    first, second = create_customer(seller), create_customer(seller)
    for amount, status in ((1000, "confirmed"), (2000, "shipped"), (3000, "completed"), (500, "cancelled"),
                           (700, "draft")):
        add_part(manager, first["id"], "orders", dict(order(amount=amount, order_date=in_quarter(0)), status=status))
    add_part(manager, first["id"], "payments", {"payment_date": in_quarter(0), "amount": 1500})
    won = add_part(seller, first["id"], "opportunities", {"title": "Line 2 gears", "stage": "proposal"})
    updated = seller.patch("/customers/%s/opportunities/%s" % (first["id"], won["id"]),
                           {"stage": "won", "version": won["version"]})
    assert updated.status_code == 200, updated.text
    assert updated.json()["decided_at"] and updated.json()["owner_id"] == users["seller"]["id"]
    add_part(seller, second["id"], "opportunities", {"title": "Spare parts", "stage": "lost"})
    for kind in ("call", "call", "visit"):
        add_part(seller, second["id"], "interactions", {"kind": kind, "summary": "Talked",
                                                        "occurred_at": datetime.datetime.now(SHANGHAI).isoformat()})
    # Due yesterday and done today (late); due tomorrow and done now (on time); due yesterday still open (late).
    for due, done in ((in_quarter(-1), True), (in_quarter(1), True), (in_quarter(-1), False)):
        task = add_part(seller, second["id"], "followups", {"title": "Check", "due_date": due})
        if done:
            response = seller.patch("/customers/%s/followups/%s" % (second["id"], task["id"]),
                                    {"status": "done", "version": task["version"]})
            assert response.status_code == 200 and response.json()["done_at"], response.text
    # A customer that has gone quiet: two orders long ago make it dormant (churned) when it is recorded.
    quiet = create_customer(seller)
    for dated in ("2023-03-01", "2023-06-01"):
        add_part(manager, quiet["id"], "orders", order(amount=100, order_date=dated))
    eventually(lambda: seller.get("/customers/%s" % quiet["id"]).json(),
               lambda c: c["lifecycle_stage"] == "dormant" and c["dormant_since"] in (day(-1), day(0)))
    # A tier upgrade: the first customer's override lifts it to VIP.
    lifted = seller.put("/customers/%s/tier-override" % first["id"], {"tier": "vip", "reason": "Strategic"})
    assert lifted.status_code == 200, lifted.text
    # Feedback assigned to the seller and resolved.
    item = manager.post("/feedback", {"customer_id": first["id"], "channel": "phone", "type": "complaint",
                                      "category": "quality", "severity": "low", "text": "Late delivery."})
    assert item.status_code == 201, item.text
    item = item.json()
    for change in ({"assignee_id": users["seller"]["id"]}, {"status": "in_progress"},
                   {"status": "resolved", "resolution_summary": "Shipped by air."}):
        response = manager.patch("/feedback/%s" % item["id"], dict(change, version=item["version"]))
        assert response.status_code == 200, response.text
        item = response.json()
    # Three survey answers of the seller's customer: CSAT (5 + 4 + 3) / 3; NPS 2 promoters, 1 passive.
    answer_survey(stack, manager, feedback_events, site["id"], first["id"], [(5, 10), (4, 7), (3, 9)])
    return people


EXPECTED = {
    "order_amount": 6000, "orders": 3, "payments": 1500, "new_customers": 3, "opportunities_won": 1,
    "opportunities_lost": 1, "win_rate": 0.5, "interactions": {"call": 2, "meeting": 0, "email": 0, "visit": 1,
                                                                "total": 3},
    "followups_on_time": 1, "followups_late": 2, "tier_upgrades": 1, "churned_customers": 1,
    "feedback_assigned": 1, "feedback_resolved": 1, "feedback_resolved_within_sla": 1, "csat": 4.0, "nps": 67,
}


def scorecard(api, expected=200, **params):
    response = api.get("/scorecards", params=dict({"period": quarter()}, **params))
    assert response.status_code == expected, response.text
    return response.json()


def test_every_scorecard_measure_matches_the_seeded_history(history):
    card = scorecard(history.seller)
    assert (card["holder_kind"], card["holder_id"], card["period"]) == ("user", history.users["seller"]["id"],
                                                                         quarter())
    assert card["incomplete"] == []
    measures = card["measures"]
    assert {key: measures[key] for key in EXPECTED} == EXPECTED
    assert measures["median_hours_to_resolve"] is not None and measures["median_hours_to_resolve"] >= 0
    assert scorecard(history.manager, user_id=history.users["seller"]["id"])["measures"] == measures
    idle = scorecard(history.manager, user_id=history.users["idle"]["id"])["measures"]
    assert (idle["order_amount"], idle["orders"], idle["win_rate"], idle["interactions"]["total"]) == (0, 0, None, 0)
    # Amounts are hidden from a user without orders:read; others' scorecards from a user without targets:manage.
    own = scorecard(history.service)["measures"]
    assert own["order_amount"] is None and own["payments"] is None and own["orders"] == 0
    scorecard(history.seller, 403, user_id=history.users["idle"]["id"])
    scorecard(history.manager, 404, user_id="no-such-user")
    scorecard(history.manager, 422, period="2027-Q0")


def test_leaderboard_and_download_rank_the_site_s_users(history):
    response = history.manager.get("/leaderboards", params={"period": quarter(), "measure": "order_amount"})
    assert response.status_code == 200, response.text
    board = response.json()["items"]
    assert board[0]["user_id"] == history.users["seller"]["id"] and (board[0]["rank"], board[0]["value"]) == (1, 6000)
    assert {row["user_id"] for row in board} == {u["id"] for u in history.users.values()}
    assert all(row["rank"] == 2 and row["value"] == 0 for row in board[1:])
    assert history.seller.get("/leaderboards", params={"period": quarter()}).status_code == 403
    assert history.service.get("/leaderboards", params={"period": quarter()}).status_code == 403

    download = history.manager.get("/scorecards/export", params={"period": quarter()},
                                   headers={"Accept-Language": "en"})
    assert download.status_code == 200, download.text
    rows = list(openpyxl.load_workbook(io.BytesIO(download.content)).active.iter_rows(values_only=True))
    header, body = rows[0], {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    seller = body[history.users["seller"]["id"]]
    assert seller["order_amount"] == 6000 and seller["interactions"] == 3 and seller["followups_late"] == 2
    assert len(body) == len(history.users) and "interactions_call" in header


def test_the_pipeline_forecast_weights_open_opportunities_against_the_target(history):
    site_id = history.site["id"]
    customer = create_customer(history.seller)
    add_part(history.seller, customer["id"], "opportunities", {
        "title": "New press line", "stage": "proposal", "expected_amount": 10000, "expected_close_date": in_quarter(1)})
    add_part(history.seller, customer["id"], "opportunities", {
        "title": "Later", "stage": "negotiation", "expected_amount": 99000, "expected_close_date": "2040-01-01"})
    set_target(history.manager, site_id=site_id, period=quarter(), measure="order_amount", value=20000,
               holder_kind="site")
    response = history.manager.get("/forecasts/pipeline", params={"period": quarter()})
    assert response.status_code == 200, response.text
    forecast = response.json()
    proposal = next(s for s in forecast["stages"] if s["stage"] == "proposal")
    assert (proposal["count"], proposal["amount"], proposal["probability"], proposal["weighted"]) == (
        1, 10000, 60, 6000)
    assert forecast["actual"] == 6000 and forecast["pipeline"] == 6000 and forecast["target"] == 20000
    assert forecast["forecast"] == 12000 + forecast["expected_reorders"]["amount"]
    assert forecast["gap"] == round(20000 - forecast["forecast"], 2)
    # The site's own stage probabilities weight it.
    settings = history.manager.get("/customers/settings/%s" % site_id).json()
    changed = history.manager.put("/customers/settings/%s" % site_id, {
        "version": settings["version"], "stage_probabilities": {"proposal": 50}})
    assert changed.status_code == 200, changed.text
    forecast = history.manager.get("/forecasts/pipeline", params={"period": quarter()}).json()
    assert next(s for s in forecast["stages"] if s["stage"] == "proposal")["weighted"] == 5000
    assert history.service.get("/forecasts/pipeline", params={"period": quarter()}).status_code == 403


def test_a_team_s_scorecard_adds_up_its_members(crew):
    customer = create_customer(crew.sales_a2)
    add_part(crew.manager_a, customer["id"], "orders", order(amount=300, order_date=in_quarter(0)))
    cards = [scorecard(crew.manager_a, user_id=crew.users[name]["id"])["measures"] for name in ("sales_a", "sales_a2")]
    team = scorecard(crew.sales_a, team_id=crew.team["id"])
    assert (team["holder_kind"], team["holder_name"]) == ("team", "East sales")
    for key in ("order_amount", "orders", "new_customers"):
        assert team["measures"][key] == sum(card[key] for card in cards), key
    assert team["measures"]["order_amount"] >= 300
    scorecard(crew.manager_b, 404, team_id=crew.team["id"])
    scorecard(crew.manager_b, 404, site_id=crew.site_a["id"])
    scorecard(crew.service_a, 404, team_id=crew.team["id"])
    scorecard(crew.manager_a, 422, user_id=crew.users["sales_a"]["id"], team_id=crew.team["id"])
