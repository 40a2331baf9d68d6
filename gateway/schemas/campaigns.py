"""Requests and responses of campaigns, their recipients and the public unsubscribe link."""
from gateway.schemas.common import PageQuerySchema, http_input, http_output
from services.notifications import contract

CampaignCreateSchema = http_input(contract.CampaignCreateSchema, "CampaignCreateSchema")
CampaignUpdateSchema = http_input(contract.CampaignUpdateSchema, "CampaignUpdateSchema")
CampaignScheduleSchema = http_input(contract.CampaignScheduleSchema, "CampaignScheduleSchema")
RecipientQuerySchema = http_input(contract.RecipientFilterSchema, "RecipientQuerySchema", base=PageQuerySchema)
CampaignSchema = http_output(contract.CampaignSchema)
RecipientSchema = http_output(contract.RecipientSchema)
AudienceCountSchema = http_output(contract.AudienceCountSchema)
UnsubscribeSchema = http_output(contract.UnsubscribeSchema)
TestSentSchema = http_output(contract.TestSentSchema)
OccasionsSchema = http_output(contract.OccasionsSchema)
