"""The API key in the OpenAPI schema (drf-spectacular finds this extension by its target)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "linking.api.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key made by an admin on the API keys page: "
            "`Authorization: Bearer prt_<prefix>_<secret>`.",
        }
