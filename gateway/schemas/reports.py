"""Requests and responses of the reports on customers."""
from datetime import timezone

from marshmallow import Schema, fields

from gateway.language import LocalizedTexts
from gateway.schemas.common import Day, Ident, StrictSchema
from services.common.schemas import OrderedPeriod
from gateway.schemas.customers import AmountSchema, ItemsSchema


class ReportQuerySchema(StrictSchema, OrderedPeriod):
    site_id = Ident(metadata={"description": "one site; default all of yours"})
    since = fields.AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": "ISO date or time; default a year before until"})
    until = fields.AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": "ISO date or time; default today"})


class ReportSchema(Schema):
    since = Day()
    until = Day()
    site_id = fields.String(allow_none=True, metadata={"description": "null: all your sites"})


class TierMoveSchema(Schema):
    from_ = fields.String(data_key="from", attribute="from", allow_none=True)
    to = fields.String()
    count = fields.Integer()


class TierReportSchema(ReportSchema):
    distribution = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "customers per tier"})
    moves = fields.List(fields.Nested(TierMoveSchema), metadata={"description": "tier changes in the period"})


class MonthSalesSchema(AmountSchema):
    month = fields.String(metadata={"description": "YYYY-MM"})


class ProductSalesSchema(AmountSchema):
    product = fields.String()
    quantity = fields.Float()


class CustomerSalesSchema(AmountSchema):
    customer_id = fields.String()
    legal_name = fields.String(allow_none=True)
    site_id = fields.String()


class GroupSalesSchema(AmountSchema):
    customer_id = fields.String(metadata={"description": "the top account of the hierarchy"})
    legal_name = fields.String(allow_none=True)
    accounts = fields.Integer()


class SiteSalesSchema(AmountSchema):
    site_id = fields.String()


class SalesReportSchema(ReportSchema):
    total = fields.Float()
    orders = fields.Integer()
    by_month = fields.List(fields.Nested(MonthSalesSchema))
    by_product = fields.List(fields.Nested(ProductSalesSchema))
    by_customer = fields.List(fields.Nested(CustomerSalesSchema))
    by_group = fields.List(fields.Nested(GroupSalesSchema), metadata={"description": "rolled up the hierarchy"})
    by_site = fields.List(fields.Nested(SiteSalesSchema))


class StageSchema(Schema):
    stage = fields.String()
    count = fields.Integer()
    amount = fields.Float()


class ConversionSchema(Schema):
    won = fields.Integer()
    lost = fields.Integer()
    rate = fields.Float(allow_none=True, metadata={"description": "won of decided; null when none decided"})


class FunnelReportSchema(ReportSchema):
    stages = fields.List(fields.Nested(StageSchema), metadata={"description": "count and amount per stage"})
    conversion = fields.Nested(ConversionSchema)


class AtRiskSchema(LocalizedTexts):
    customer_id = fields.String()
    legal_name = fields.String()
    site_id = fields.String()
    owner_id = fields.String(allow_none=True)
    level = fields.String(metadata={"description": "low or high"})
    reasons = fields.List(fields.String(), metadata={"description": "in the request's language"})
    reasons_details = fields.List(fields.Dict(), metadata={"description": "each reason's {code, params}"})
    tier = fields.String(allow_none=True)
    lifecycle_stage = fields.String(allow_none=True)
    last_order_date = Day(allow_none=True)


class ChurnReportSchema(ItemsSchema):
    site_id = fields.String(allow_none=True, metadata={"description": "null: all your sites"})
    items = fields.List(fields.Nested(AtRiskSchema))
    total = fields.Integer()
