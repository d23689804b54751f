from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmark tooling: scale data, the bench_* commands, the floor views.

    Installed only by the development settings (DEBUG) and `portal.bench.settings`; production
    settings never load it."""

    name = "portal.bench"
    label = "bench"
    verbose_name = "Benchmarks"
