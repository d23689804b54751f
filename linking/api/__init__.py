"""The REST API under `/api/v1/`: API keys, the error shape, idempotency and the endpoints.

Every endpoint reaches data through the same selectors and `access_*` functions as the pages
and changes it through the same services; this package only parses, checks the key's role
and renders. See docs/api.md.
"""
