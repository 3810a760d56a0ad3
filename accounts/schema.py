"""OpenAPI descriptions of the platform's authentication classes (loaded by AccountsConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class PlatformTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.PlatformTokenAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Bearer", bearer_format="JWT"
        )


class SessionIdScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.families.SessionWithoutCsrf"
    name = "sessionId"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Session-Id",
            "description": "The `Session-Id` returned by /user/login (the session cookie works too).",
        }
