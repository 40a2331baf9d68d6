"""Requests and responses of a site's customer settings: tier thresholds, follow-up cadence, review period."""
from marshmallow import Schema, fields

from gateway.schemas.common import http_input
from services.customers import contract

TierThresholdsSchema = http_input(contract.TierThresholdsSchema, "TierThresholdsSchema")
FollowupDaysSchema = http_input(contract.FollowupDaysSchema, "FollowupDaysSchema")
CustomerSettingsUpdateSchema = http_input(contract.SettingsUpdateSchema, "CustomerSettingsUpdateSchema",
                                          rules=("not_empty",))


class CustomerSettingsSchema(Schema):
    site_id = fields.String()
    tier_thresholds = fields.Nested(TierThresholdsSchema)
    followup_days = fields.Nested(FollowupDaysSchema)
    review_days = fields.Integer()
    version = fields.Integer()
