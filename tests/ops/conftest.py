"""The console's test city, shared."""

from tests.console.conftest import fast_passwords, world  # noqa: F401
