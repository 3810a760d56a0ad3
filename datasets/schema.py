"""OpenAPI description of seed 004's `X-Auth-Token` header (loaded by DatasetsConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class XAuthTokenScheme(OpenApiAuthenticationExtension):
    target_class = "datasets.workforce.XAuthTokenAuthentication"
    name = "xAuthToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Auth-Token", "description": "A platform access JWT."}
