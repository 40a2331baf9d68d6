"""A site's customer settings: tier thresholds, follow-up cadence per tier and review period.

(A site's feedback settings are at ``/feedback/settings/{site_id}``.) ``/customers/settings/x``
is never taken for a customer's path: werkzeug tries a fixed segment before an id.
"""
from flask.views import MethodView

from gateway.blueprint import ApiBlueprint
from gateway.schemas import settings as s
from gateway.services import customers

blp = ApiBlueprint("settings", __name__, description="A site's customer settings")


@blp.route("/customers/settings/<site_id>")
class CustomerSettings(MethodView):
    @blp.operation(200, s.CustomerSettingsSchema, 403, 404)
    def get(self, site_id):
        """A site's tier thresholds, follow-up days per tier and review period (customers:read);
        a site that never saved settings shows the defaults with version 0."""
        return customers.get_settings(site_id)

    @blp.operation(200, s.CustomerSettingsSchema, 403, 404, 409, body=s.CustomerSettingsUpdateSchema)
    def put(self, body, site_id):
        """Change a site's tier thresholds, follow-up days or review period (settings:write, on one
        of your sites); tiers are recomputed soon after. 409 on a stale version; 422 when the
        thresholds do not rise from key to VIP, or on ``site_id`` when the site is disabled or
        unknown."""
        return customers.update_settings(site_id, body)
