"""Requests and responses of the reorder forecasts and the product recommendations."""
from gateway.schemas.common import PageQuerySchema, http_input, http_output
from services.customers import contract

ForecastSchema = http_output(contract.ForecastOutSchema)
ExpectedOrdersQuerySchema = http_input(contract.ExpectedOrdersQuerySchema, "ExpectedOrdersQuerySchema",
                                       base=PageQuerySchema)
ExpectedOrderSchema = http_output(contract.ExpectedOrderSchema)
RecommendationsSchema = http_output(contract.RecommendationsSchema)
