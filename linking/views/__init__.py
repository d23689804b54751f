"""Pages of the reseller's linking work, one module per entity: `requests` (and the `wizard`
that builds a draft), `links`, `customers`, `presets`, `exports`; `common` holds what they share.
Batch pages live in `linking.batches`, the customer's consent pages in `linking.consent`."""
