"""Requests and responses of a site's customer settings: tier thresholds, follow-up cadence, review period."""
from marshmallow import fields

from gateway.schemas.common import http_input, http_output
from services.customers import contract

TierThresholdsSchema = http_input(contract.TierThresholdsSchema, "TierThresholdsSchema")
FollowupDaysSchema = http_input(contract.FollowupDaysSchema, "FollowupDaysSchema")
StageProbabilitiesSchema = http_input(contract.StageProbabilitiesSchema, "StageProbabilitiesSchema")
CustomerSettingsUpdateSchema = http_input(contract.SettingsUpdateSchema, "CustomerSettingsUpdateSchema",
                                          rules=("not_empty",))
# The document has one schema each for the thresholds, the cadence and the stage probabilities, sent and
# answered alike.
CustomerSettingsSchema = http_output(contract.CustomerSettingsSchema, tier_thresholds=fields.Nested(
    TierThresholdsSchema), followup_days=fields.Nested(FollowupDaysSchema), stage_probabilities=fields.Nested(
    StageProbabilitiesSchema))
