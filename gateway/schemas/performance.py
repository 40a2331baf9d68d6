"""Requests and responses of sales targets, scorecards, leaderboards and the pipeline forecast."""
from gateway.schemas.common import http_input, http_output
from services.customers import contract

TargetCreateSchema = http_input(contract.TargetSchema, "TargetCreateSchema")
TargetUpdateSchema = http_input(contract.TargetUpdateSchema, "TargetUpdateSchema")
TargetQuerySchema = http_input(contract.TargetFilterSchema, "TargetQuerySchema")
TargetSchema = http_output(contract.TargetOutSchema)
TargetDetailSchema = http_output(contract.TargetDetailSchema)
TargetListSchema = http_output(contract.TargetListSchema)
ScorecardQuerySchema = http_input(contract.ScorecardQuerySchema, "ScorecardQuerySchema")
ScorecardSchema = http_output(contract.ScorecardSchema)
LeaderboardQuerySchema = http_input(contract.LeaderboardQuerySchema, "LeaderboardQuerySchema")
LeaderboardSchema = http_output(contract.LeaderboardSchema)
PipelineQuerySchema = http_input(contract.PipelineQuerySchema, "PipelineQuerySchema")
PipelineSchema = http_output(contract.PipelineSchema)
