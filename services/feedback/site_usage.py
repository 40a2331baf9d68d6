"""What feedback keeps of a site, asked by accounts before the site is deleted.

Counted: feedback items, surveys and survey links (one per recipient, with the answer when there
is one); each of them names the site and would be orphaned by its deletion. Items and links of an
erased customer are not: they stay anonymised for the reports and can never move, like the erased
customer itself, which customers does not count either. A site's feedback
settings are not counted: they describe the site itself and go with it.
"""
from services.common import sites
from services.feedback import store


def site_usage(db, caller, site_id):
    """-> ``{"counts": {collection: n}}`` (``sites.usage``)."""
    return sites.usage(caller, site_id, lambda site: store.count_site_records(db, site))
