"""Requests and responses of surveys, their links and the public survey page."""
from marshmallow import Schema, fields

from gateway.schemas.common import StrictSchema, String, Timestamp, http_input
from gateway.schemas.feedback import NpsSchema
from services.feedback import contract

SurveyQuestionCreateSchema = http_input(contract.QuestionSchema, "SurveyQuestionCreateSchema")
SurveyCreateSchema = http_input(contract.SurveyCreateSchema, "SurveyCreateSchema")
SurveyUpdateSchema = http_input(contract.SurveyUpdateSchema, "SurveyUpdateSchema")


class SurveyQuestionSchema(Schema):
    id = fields.String()
    kind = fields.String()
    text = fields.String()
    required = fields.Boolean()
    options = fields.List(fields.String())
    max_length = fields.Integer()


class SurveySchema(Schema):
    id = fields.String()
    site_id = fields.String()
    title = fields.String()
    intro = fields.String(allow_none=True)
    language = fields.String()
    questions = fields.List(fields.Nested(SurveyQuestionSchema))
    sent_count = fields.Integer()
    response_count = fields.Integer()
    created_by = fields.String(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    version = fields.Integer()


class SurveyQuestionResultSchema(Schema):
    id = fields.String()
    kind = fields.String()
    text = fields.String()
    answered = fields.Integer()
    average = fields.Float(allow_none=True, metadata={"description": "rating and NPS questions"})
    distribution = fields.Dict(keys=fields.String(), values=fields.Integer(),
                               metadata={"description": "answers per value (rating, NPS) or per option (choice)"})
    satisfied_share = fields.Float(allow_none=True, metadata={"description": "rating: share of 4 and 5"})
    nps = fields.Nested(NpsSchema, metadata={"description": "NPS questions"})
    texts = fields.List(fields.String(), metadata={"description": "free text: the latest 50 answers"})


class SurveyResponseSchema(Schema):
    link_id = fields.String()
    customer_id = fields.String()
    contact_id = fields.String()
    name = fields.String(allow_none=True)
    answered_at = Timestamp()
    rating = fields.Integer(allow_none=True)
    nps = fields.Integer(allow_none=True)
    answers = fields.Dict(keys=fields.String(), metadata={"description": "question id → answer"})
    feedback_id = fields.String(allow_none=True, metadata={"description": "the follow-up item of a low score"})


class SurveyResultsSchema(Schema):
    survey_id = fields.String()
    sent = fields.Integer()
    answered = fields.Integer()
    response_rate = fields.Float(allow_none=True)
    questions = fields.List(fields.Nested(SurveyQuestionResultSchema))
    responses = fields.List(fields.Nested(SurveyResponseSchema))


SurveySendSchema = http_input(contract.SendSchema, "SurveySendSchema")


class SurveyRecipientSchema(Schema):
    contact_id = fields.String()
    name = fields.String()
    email = fields.String()
    link_id = fields.String()


class SurveySendResultSchema(Schema):
    survey_id = fields.String()
    customer_id = fields.String()
    expires_at = Timestamp()
    sent = fields.List(fields.Nested(SurveyRecipientSchema))


class PublicSurveySchema(Schema):
    title = fields.String()
    intro = fields.String(allow_none=True)
    language = fields.String()
    questions = fields.List(fields.Nested(SurveyQuestionSchema))
    recipient = fields.String(allow_none=True)
    expires_at = Timestamp()


class SurveyAnswerSchema(StrictSchema):
    answers = fields.Dict(keys=String(), values=fields.Raw(), required=True, metadata={
        "description": "{question id: answer}; a form post sends one field per question instead"})


class SurveyAnswerResultSchema(Schema):
    status = fields.String()
    message = fields.String()
