"""Suite-wide checks."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
VOICE_TOOLS = ("espeak-ng", "sox", "soxi", "aplay")  # Debian: espeak-ng, sox, alsa-utils


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI (KIOSKD_REQUIRE_BROWSER=1, KIOSKD_REQUIRE_VOICE=1) a missing tool is an error, not a skip."""
    if os.environ.get("KIOSKD_REQUIRE_BROWSER") and not os.path.exists(CHROMIUM):
        raise pytest.UsageError(f"KIOSKD_REQUIRE_BROWSER is set but {CHROMIUM} is missing")
    missing = [tool for tool in VOICE_TOOLS if shutil.which(tool) is None]
    if os.environ.get("KIOSKD_REQUIRE_VOICE") and missing:
        raise pytest.UsageError(f"KIOSKD_REQUIRE_VOICE is set but {', '.join(missing)} missing")


@pytest.fixture(autouse=True)
def _no_kioskd_config_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """kioskctl reads $KIOSKD_CONFIG; a value in the tester's shell must not steer the tests."""
    monkeypatch.delenv("KIOSKD_CONFIG", raising=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """The random order's seed (pytest-randomly), printed with -q too, to repeat a failing order."""
    seed = getattr(config.option, "randomly_seed", None)
    if isinstance(seed, int) and config.pluginmanager.hasplugin("randomly"):
        terminalreporter.write_line(f"tests ran in a random order: repeat it with --randomly-seed={seed}")
