"""Suite-wide checks."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import threading

import pytest
from hypothesis import HealthCheck, settings

from tests.chromium import CHROMIUM

# Timing belongs in bench/, not in tests: no per-example deadline and no "too slow" health check, so
# a property test fails on a wrong answer, never because the machine was busy (they did under load).
settings.register_profile("kioskd", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("kioskd")

VOICE_TOOLS = ("espeak-ng", "sox", "soxi", "aplay")  # Debian: espeak-ng, sox, alsa-utils (with libasound, which plays)
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")  # Playwright drives Debian's chromium


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI (KIOSKD_REQUIRE_BROWSER=1, KIOSKD_REQUIRE_VOICE=1) a missing tool is an error, not a skip."""
    if os.environ.get("KIOSKD_REQUIRE_BROWSER") and not os.path.exists(CHROMIUM):
        raise pytest.UsageError(f"KIOSKD_REQUIRE_BROWSER is set but {CHROMIUM} is missing")
    missing = [tool for tool in VOICE_TOOLS if shutil.which(tool) is None]
    if os.environ.get("KIOSKD_REQUIRE_VOICE") and missing:
        raise pytest.UsageError(f"KIOSKD_REQUIRE_VOICE is set but {', '.join(missing)} missing")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `browser` are skipped, with the reason, where Debian's chromium is missing."""
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed")
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(skip)


@pytest.fixture
def libfaketime() -> str:
    """libfaketime's path, for a daemon whose clock a test sets; skipped without it (an error in CI,
    KIOSKD_REQUIRE_FAKETIME=1)."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    if found:
        return found[0]
    if os.environ.get("KIOSKD_REQUIRE_FAKETIME"):
        pytest.fail("KIOSKD_REQUIRE_FAKETIME is set but libfaketime is not installed")
    pytest.skip("libfaketime not installed (Debian package libfaketime)")


@pytest.fixture(autouse=True)
def _no_kioskd_config_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """kioskctl reads $KIOSKD_CONFIG; a value in the tester's shell must not steer the tests."""
    monkeypatch.delenv("KIOSKD_CONFIG", raising=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """The random order's seed (pytest-randomly), printed with -q too, to repeat a failing order."""
    seed = getattr(config.option, "randomly_seed", None)
    if isinstance(seed, int) and config.pluginmanager.hasplugin("randomly"):
        terminalreporter.write_line(f"tests ran in a random order: repeat it with --randomly-seed={seed}")



@pytest.fixture(autouse=True)
def _ledger_calls_seen_by_looptime(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under looptime a ledger call is also awaited as a run_in_executor future, which looptime sees.

    looptime moves virtual time on whenever nothing it knows of is pending; it knows the futures of
    run_in_executor, not the ledger thread's own answer (kioskd/ledger/handoff.py), so a PIN's or a
    screen's timeout would expire while a real fsync ran on the ledger thread. The call itself still
    runs on the ledger thread, as in the daemon.
    """
    if request.node.get_closest_marker("looptime") is None:
        return
    from kioskd.ledger.handoff import LedgerThread

    run = LedgerThread.run

    async def run_seen_by_looptime(self, call):  # type: ignore[no-untyped-def]
        answer = asyncio.ensure_future(run(self, call))
        answered = threading.Event()
        answer.add_done_callback(lambda _: answered.set())
        await asyncio.get_running_loop().run_in_executor(None, answered.wait)
        return await answer

    monkeypatch.setattr(LedgerThread, "run", run_seen_by_looptime)
