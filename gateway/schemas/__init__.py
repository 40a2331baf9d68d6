"""marshmallow schemas of the gateway's requests and responses (they make the OpenAPI document)."""
