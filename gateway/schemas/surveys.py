"""Requests and responses of surveys, their links and the public survey page."""
from marshmallow import fields

from gateway.schemas.common import StrictSchema, String, http_input, http_output
from services.feedback import contract

SurveyQuestionCreateSchema = http_input(contract.QuestionSchema, "SurveyQuestionCreateSchema")
SurveyCreateSchema = http_input(contract.SurveyCreateSchema, "SurveyCreateSchema")
SurveyUpdateSchema = http_input(contract.SurveyUpdateSchema, "SurveyUpdateSchema")
SurveySchema = http_output(contract.SurveySchema)
SurveyResultsSchema = http_output(contract.SurveyResultsSchema)

SurveySendSchema = http_input(contract.SendSchema, "SurveySendSchema")
SurveySendResultSchema = http_output(contract.SurveySendResultSchema)

PublicSurveySchema = http_output(contract.PublicSurveySchema)


class SurveyAnswerSchema(StrictSchema):
    """The JSON body of an answer (the service takes the answers themselves)."""

    answers = fields.Dict(keys=String(), values=fields.Raw(), required=True, metadata={
        "description": "{question id: answer}; a form post sends one field per question instead"})


SurveyAnswerResultSchema = http_output(contract.SurveyAnswerResultSchema)
