"""Read-backs through the API after a fault: what a 2xx promised must be there."""
from tests.chaos.load import succeeded


def missing_writes(api, outcomes):
    """The 2xx writes of ``outcomes`` that cannot be read back: ``(customers, interactions)``."""
    missing_customers = [o for o in succeeded(outcomes, "customer")
                         if api.get("/customers/%s" % o.customer_id).status_code != 200]
    logged = {}
    missing_interactions = []
    for outcome in succeeded(outcomes, "interaction"):
        if outcome.customer_id not in logged:
            page = api.get("/customers/%s/interactions" % outcome.customer_id, params={"limit": 500}).json()
            logged[outcome.customer_id] = {item["id"] for item in page["items"]}
        if outcome.record_id not in logged[outcome.customer_id]:
            missing_interactions.append(outcome)
    return missing_customers, missing_interactions
