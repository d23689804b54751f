"""The sandbox cloud's fixtures live in `tests.cloud.sandbox_fixtures` (a plugin of the root
conftest), so every test directory can use `sandbox_cloud` and `cloud`."""

from tests.cloud.sandbox_fixtures import SandboxCloud, _free_port

__all__ = ["SandboxCloud", "_free_port"]
