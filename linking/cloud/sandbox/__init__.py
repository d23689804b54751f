"""The sandbox cloud: a separate process serving the Huawei Cloud HTTP API the portal calls.

It has its own settings (``linking.cloud.sandbox.settings``), database, models and console, and
is never part of the portal's app registry. Start it with
``python -m linking.cloud.sandbox serve --port 8010``.
"""
