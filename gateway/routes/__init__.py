"""The API's areas, one module each, beside its schemas in ``gateway.schemas``."""
