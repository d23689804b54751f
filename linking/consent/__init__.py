"""The customer's side of a request: the consent page (`views`), withdrawal of a link
(`withdrawal_views`), their services, forms and URLs, and the signed receipts of decisions."""
