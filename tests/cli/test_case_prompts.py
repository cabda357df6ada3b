"""What kioskctl case asks and says before it reaches the kiosk, in the staff's language (zh-CN by default, en)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kioskd.cli import main as ctl


@pytest.mark.parametrize("lang, staff, manager", [
    ("zh-CN", "工号 2001 的密码（PIN）: ", "审批经理 3001 的密码（PIN），用于批准退款: "),
    ("en", "staff 2001, PIN or password: ", "manager 3001, PIN or password to approve the refund: "),
])
def test_a_refund_asks_the_manager_then_the_payer_in_the_staffs_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, staff: str, manager: str) -> None:
    asked: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": asked.append(prompt) or "not-said")
    code = ctl.main(["case", "refund", "1", "--amount", "20", "--reason", "退回现金", "--approver", "3001",
                     "--as", "2001", "--lang", lang, "--socket", str(tmp_path / "none.sock")])
    assert code != 0  # no kiosk there: what matters is what was asked, and in which order
    assert asked == [manager, staff]


@pytest.mark.parametrize("lang, said", [
    ("zh-CN", "kioskctl: 登记差错须指定 --txn 流水号（缴费）或 --claim 金额（客户称未计入的纸币，元）"),
    ("en", "kioskctl: case open needs --txn SEQ (a payment) or --claim YUAN (a note not counted)"),
])
def test_a_case_needs_a_payment_or_a_claim(tmp_path: Path, lang: str, said: str) -> None:
    with pytest.raises(SystemExit) as refused:
        ctl.main(["case", "open", "--lang", lang, "--socket", str(tmp_path / "none.sock")])
    assert str(refused.value) == said
