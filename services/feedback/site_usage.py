"""What feedback keeps of a site, asked by accounts before the site is deleted.

Counted: feedback items, surveys and survey links (one per recipient, with the answer when there
is one); each of them names the site and would be orphaned by its deletion. Items and links of an
erased customer are not: they stay anonymised for the reports and can never move, like the erased
customer itself, which customers does not count either. A site's feedback
settings are not counted: they describe the site itself and go with it.
"""
from services.common.errors import ValidationFailed
from services.feedback import store


def site_usage(db, caller, site_id):
    """-> ``{"counts": {collection: n}}``, the non-zero counts only (sites:admin and sites:all)."""
    caller.require("sites:admin")
    caller.require("sites:all")
    if not isinstance(site_id, str) or not site_id or len(site_id) > 64:
        raise ValidationFailed(fields={"site_id": ["A site id."]})
    return {"counts": {name: n for name, n in store.count_site_records(db, site_id).items() if n}}
