"""Reads, always scoped to one reseller, with their related rows already fetched.

One module per entity: `requests` (lists, filters, approvals, timeline), `links`, `customers`,
`dashboard`, `batches`, `presets`, `catalog`; `search` holds the text search the lists share.
"""
