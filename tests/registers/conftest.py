"""The custody tests' site (a real journal, the machine on fakes, Custody wired like the daemon)."""

from tests.custody.conftest import site  # noqa: F401 - the fixture, shared
