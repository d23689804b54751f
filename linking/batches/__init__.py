"""Batch linking (a file of requests: `parsing`, `services`, `views`, `selectors`) and the
customer directory import by platform staff (`directory`, `directory_views`)."""
