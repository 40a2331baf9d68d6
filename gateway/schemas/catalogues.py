"""Catalogues: the codes the API takes, each with its zh-CN and en labels."""
from marshmallow import Schema, fields, validate


class LabelsSchema(Schema):
    class Meta:
        ordered = True

    zh_cn = fields.String(attribute="zh-CN", data_key="zh-CN")
    en = fields.String()


class EntrySchema(Schema):
    code = fields.String(metadata={"description": "what the API takes and answers"})
    labels = fields.Nested(LabelsSchema)
    parent = fields.String(allow_none=True, metadata={"description": "the code of the entry above (hierarchies)"})


class CatalogueSchema(Schema):
    name = fields.String()
    entries = fields.List(fields.Nested(EntrySchema))


class CatalogueQuerySchema(Schema):
    parent = fields.String(validate=validate.Length(min=1, max=20), metadata={
        "description": "only the entries directly under this code; `none`: the top level"})


class CatalogueNamesSchema(Schema):
    names = fields.List(fields.String())
