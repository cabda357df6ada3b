"""What kioskctl asks (PINs) and says before it reaches the kiosk or its journal, in the staff's language (zh-CN by
default, en): case, the registers (differences, keys) and staff add."""

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


@pytest.mark.parametrize("lang, manager, receiver", [
    ("zh-CN", "审批经理 3001 的密码（PIN），用于批准差异处理: ", "领取人工号 2002 的密码（PIN），确认领取钥匙 box-1: "),
    ("en", "manager 3001, to approve, PIN or password: ", "staff 2002, to receive box-1, PIN or password: "),
])
def test_the_registers_ask_the_second_person_then_the_caller_in_the_staffs_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, manager: str, receiver: str) -> None:
    staff = "工号 2001 的密码（PIN）: " if lang == "zh-CN" else "staff 2001, PIN or password: "
    socket = str(tmp_path / "none.sock")
    for args, second in ((["difference", "resolve", "1", "--outcome", "surplus", "--explain", "多出一张",
                           "--approver", "3001"], manager),
                         (["key", "hand", "box-1", "--to", "2002", "--reason", "换班"], receiver)):
        asked: list[str] = []
        monkeypatch.setattr("getpass.getpass", lambda prompt="", asked=asked: asked.append(prompt) or "not-said")
        assert ctl.main([*args, "--as", "2001", "--lang", lang, "--socket", socket]) != 0
        assert asked == [second, staff]


@pytest.mark.parametrize("lang, role, said", [
    ("zh-CN", "technician", ["PIN（至少 6 位数字）: ", "再输入一次: ", "两次输入不一致"]),
    ("zh-CN", "manager", ["PIN（至少 6 位数字）或密码（至少 8 位）: ", "再输入一次: ", "两次输入不一致"]),
    ("en", "hall", ["PIN (6+ digits) or password (8+): ", "again: ", "the two entries differ"]),
])
def test_adding_an_account_asks_for_the_pin_twice_in_the_staffs_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        lang: str, role: str, said: list[str]) -> None:
    asked: list[str] = []
    typed = iter(["24681357", "24681358"])  # the second entry differs: refused before the journal is opened
    monkeypatch.setattr("getpass.getpass", lambda prompt="": asked.append(prompt) or next(typed))
    code = ctl.main(["staff", "add", "2001", "--name", "张三", "--role", role, "--lang", lang,
                     "--state", str(tmp_path)])
    assert code != 0 and asked == said[:2] and said[2] in capsys.readouterr().err
