"""Requests and responses of a site's customer settings: tier thresholds, follow-up cadence, review period."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gateway.schemas.common import VERSION_RANGE, StrictSchema

AMOUNT_MAX = 10 ** 13
DAYS = validate.Range(min=1, max=3650)


def Amount(**kwargs):
    return fields.Float(allow_nan=False, validate=validate.Range(min=0, max=AMOUNT_MAX), **kwargs)


def Days(**kwargs):
    return fields.Integer(strict=True, validate=DAYS, **kwargs)


class TierThresholdsSchema(StrictSchema):
    vip_amount = Amount(metadata={"description": "12-month amount that makes a customer VIP"})
    vip_loyal_amount = Amount(metadata={"description": "the VIP amount for a customer of vip_loyal_years or more"})
    vip_loyal_years = fields.Float(allow_nan=False, validate=validate.Range(min=0, max=100))
    key_amount = Amount(metadata={"description": "12-month amount that makes a customer key"})
    key_orders = fields.Integer(strict=True, validate=validate.Range(min=1, max=100000),
                                metadata={"description": "orders in 12 months that make a customer key"})


class FollowupDaysSchema(StrictSchema):
    vip = Days()
    key = Days()
    general = Days()


class CustomerSettingsUpdateSchema(StrictSchema):
    version = fields.Integer(strict=True, validate=VERSION_RANGE, required=True,
                             metadata={"description": "the version you read (0 at first)"})
    tier_thresholds = fields.Nested(TierThresholdsSchema)
    followup_days = fields.Nested(FollowupDaysSchema, metadata={"description": "follow-up cadence per tier"})
    review_days = Days(metadata={"description": "days after the last verification a review falls due"})

    @validates_schema
    def not_empty(self, data, **kwargs):
        if len(data) == 1:
            raise ValidationError("Nothing to change.", "_body")


class CustomerSettingsSchema(Schema):
    site_id = fields.String()
    tier_thresholds = fields.Nested(TierThresholdsSchema)
    followup_days = fields.Nested(FollowupDaysSchema)
    review_days = fields.Integer()
    version = fields.Integer()
