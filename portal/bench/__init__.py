"""The page benchmark: query counting, floor views and the HTTP runner of `bench_pages`."""
