"""Every kind of audit entry kioskd can write has its words in zh-CN and en (the work log shows them).

The kinds are read from kioskd's source: each call of a chain writer (append_entry, chain.record,
the audit store's append, Ledger.audit_append[_checkpointed], the custody session's _audit and
record, add_register_record), with the kind a literal, a module constant, or one of the few
computed kinds listed below. A writer call whose kind this test cannot tell fails it, so a new
kind cannot slip by without words.
"""

from __future__ import annotations

import ast
from pathlib import Path

from kioskd.hall.registers.events import EVENT_WORDS, event_name
from kioskd.hall.registers.paper import worklog_lines
from kioskd.ledger import chain, integrity
from kioskd.ledger.casecheck import STEP_KINDS
from kioskd.ledger.reconciliation import CLAIM_STATUSES
from kioskd.ledger.registercheck import AUDIT_KINDS

KIOSKD = Path(__file__).resolve().parents[2] / "kioskd"
# writer name -> position of the kind among its arguments
WRITERS = {"append_entry": 1, "record": 1, "audit_append": 0, "audit_append_checkpointed": 0,
           "append_checkpointed": 0, "_audit": 0, "add_register_record": 1}
# kinds computed from a value: (file, expression) -> every kind it can be
COMPUTED = {
    ("ledger/cases.py", "f'case_{step}'"): set(STEP_KINDS),
    ("ledger/reconciliation.py", "'claim_' + status"): {f"claim_{s}" for s in CLAIM_STATUSES[1:]},
}


def _name(node: ast.expr) -> str | None:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None


def _kind_position(call: ast.Call) -> int | None:
    """Where a chain writer's call holds the kind, or None for any other call."""
    name = _name(call.func)
    receiver = _name(call.func.value) if isinstance(call.func, ast.Attribute) else None
    if name == "append" and len(call.args) == 2 and receiver in ("audit", "_audit"):
        return 0  # the audit store's append(kind, data), not a list's
    if name == "record" and receiver == "custody":
        return 0  # the custody session's record(kind, **data)
    if name == "add_register_record" and len(call.args) > 3:
        return 3  # its audit_kind
    return WRITERS.get(name or "")


def _handed_on(arg: ast.expr) -> int | None:
    """Where the kind follows a writer method passed as a value (self._audit.append, ...), else None."""
    if not isinstance(arg, ast.Attribute):
        return None
    if arg.attr == "append":
        return 0 if _name(arg.value) in ("audit", "_audit") else None
    return None if arg.attr in ("_audit", "record") else WRITERS.get(arg.attr)


def _constants(trees: dict[str, ast.Module]) -> dict[str, set[str]]:
    """Module-level NAME = "text" of every module: name -> the texts it stands for."""
    found: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found.setdefault(target.id, set()).add(node.value.value)
    return found


class _Kinds(ast.NodeVisitor):
    def __init__(self, path: str, constants: dict[str, set[str]]) -> None:
        self.path, self.constants = path, constants
        self.kinds: set[str] = set()
        self.unknown: list[str] = []
        self.params: list[tuple[str, set[str]]] = [("", set())]  # enclosing function, its parameters

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.params.append((node.name, {a.arg for a in node.args.args + node.args.kwonlyargs}))
        self.generic_visit(node)
        self.params.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        at = _kind_position(node)
        if at is not None and len(node.args) > at:
            self._kind(node.args[at], node)
        for i, arg in enumerate(node.args[:-1]):  # a writer handed on, e.g. _run(store.append, kind, data)
            at = _handed_on(arg)
            if at is not None and len(node.args) > i + 1 + at:
                self._kind(node.args[i + 1 + at], node)
        self.generic_visit(node)

    def _kind(self, expr: ast.expr, call: ast.Call) -> None:
        function, params = self.params[-1]
        names = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            self.kinds.add(expr.value)
        elif isinstance(expr, ast.Name | ast.Attribute) and (_name(expr) or "") in self.constants:
            self.kinds |= self.constants[_name(expr) or ""]
        elif (self.path, ast.unparse(expr)) in COMPUTED:
            self.kinds |= COMPUTED[(self.path, ast.unparse(expr))]
        elif names and names <= params and (function in WRITERS or function in ("append", "record")):
            pass  # a writer's own body handing its kind parameter on
        else:
            self.unknown.append(f"kioskd/{self.path}:{call.lineno}: {ast.unparse(expr)}")


def written_kinds() -> tuple[set[str], list[str]]:
    """The kinds kioskd's source can write, and the writer calls whose kind could not be told."""
    trees = {str(p.relative_to(KIOSKD)): ast.parse(p.read_text(encoding="utf-8")) for p in KIOSKD.rglob("*.py")}
    constants = _constants(trees)
    kinds: set[str] = set()
    unknown: list[str] = []
    for path, tree in sorted(trees.items()):
        visitor = _Kinds(path, constants)
        visitor.visit(tree)
        kinds |= visitor.kinds
        unknown += visitor.unknown
    return kinds, unknown


def test_every_kind_kioskd_writes_has_words_in_both_languages() -> None:
    kinds, unknown = written_kinds()
    assert not unknown, f"audit writers whose kind this test cannot tell (add them to COMPUTED): {unknown}"
    # the reading finds what the chain's own lists name (so it cannot quietly find nothing)
    listed = set(chain.MONEY_KINDS) | set(STEP_KINDS) | {k for ks in AUDIT_KINDS.values() for k in ks}
    listed |= {integrity.CHECKPOINT} | set(integrity.SIGNED_AFTER)
    assert listed <= kinds, sorted(listed - kinds)
    assert {"patrol", "claim_compensated", "staff_auth", "door_opened", "restart", "payment_ended"} <= kinds
    without = sorted(k for k in kinds if k not in EVENT_WORDS)
    assert not without, f"audit kinds without zh-CN and en words in kioskd/hall/registers/events.py: {without}"
    for kind, (zh, en) in EVENT_WORDS.items():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), kind  # Chinese words
        assert en.isascii() and en.strip() and en != kind, kind


def test_the_printed_work_log_names_events_in_words() -> None:
    entries = [{"seq": 7, "at": "2026-03-02T01:00:00Z", "kind": "claim_compensated", "data": {"by": "8001", "no": 1}},
               {"seq": 8, "at": "2026-03-02T01:05:00Z", "kind": "patrol", "data": {"by": "2001", "by_name": "王芳"}},
               {"seq": 9, "at": "2026-03-02T01:06:00Z", "kind": "from_a_later_kioskd", "data": {}}]
    zh = worklog_lines(entries, "2026-03-02", "K1", "zh-CN", "Asia/Shanghai")
    en = worklog_lines(entries, "2026-03-02", "K1", "en", "Asia/Shanghai")
    assert "#7 2026-03-02 09:00 索赔已赔付 8001" in zh and "#8 2026-03-02 09:05 巡检签到 2001 王芳" in zh
    assert "#7 2026-03-02 09:00 claim compensated 8001" in en and "#8 2026-03-02 09:05 patrol check-in 2001 王芳" in en
    assert "#9 2026-03-02 09:06 from_a_later_kioskd" in en  # a kind without words keeps its identifier
    assert event_name("custody_count", "en") == "count recorded" and event_name("custody_count") == "清点结果"


def test_the_work_log_reads_each_entrys_data_in_words() -> None:
    entries = [
        {"seq": 1, "at": "2026-03-02T01:00:00Z", "kind": "alert",
         "data": {"id": "a-1", "code": "stacker_full", "severity": "critical", "state": "acknowledged",
                  "at": "2026-03-02T01:00:00Z", "detail": {"device": "validator", "acknowledged_by": "2001 王芳"},
                  "by": "2001", "by_name": "王芳", "by_role": "hall", "via": "page"}},
        {"seq": 2, "at": "2026-03-02T01:01:00Z", "kind": "staff_refused",
         "data": {"action": "alert_clear_money", "by": "2001", "by_name": "王芳", "by_role": "hall", "via": "page"}},
        {"seq": 3, "at": "2026-03-02T01:02:00Z", "kind": "reprint",
         "data": {"seq": 42, "duplicate": 1, "txn": "1ec3da17-fd9a", "by": "2001", "via": "page"}},
        {"seq": 4, "at": "2026-03-02T01:03:00Z", "kind": "staff_auth",
         "data": {"staff": "2002", "result": "bad_secret", "tries_left": 4, "client": "127.0.0.1", "via": "page"}},
        {"seq": 5, "at": "2026-03-02T01:04:00Z", "kind": "case_opened",
         "data": {"case": "378c1e66", "no": 1, "kind": "payment", "seq": 1, "account": "0012345678",
                  "amount": 2000, "contact": False, "status": "open", "by": "2001"}},
        {"seq": 6, "at": "2026-03-02T01:05:00Z", "kind": "custody_end",
         "data": {"session": "869e2e56", "outcome": "aborted", "reason": "same_technician", "tech1": "7001"}},
        {"seq": 7, "at": "2026-03-02T01:06:00Z", "kind": "txn_state",
         "data": {"txn": "1ec3da17", "seq": 2, "amount": 2000, "state": "flagged", "reason": "rejected: account_closed"}},
        {"seq": 8, "at": "2026-03-02T01:07:00Z", "kind": "from_a_later_kioskd", "data": {"colour": "blue"}},
    ]
    zh = worklog_lines(entries, "2026-03-02", "K1", "zh-CN", "Asia/Shanghai")[4:]
    en = worklog_lines(entries, "2026-03-02", "K1", "en", "Asia/Shanghai")[4:]
    assert zh == [
        "#1 2026-03-02 09:00 告警 2001 王芳", "  告警 钱箱已满，状态 已确认",
        "#2 2026-03-02 09:01 员工操作被拒 2001 王芳", "  操作 解除涉及款项的告警",
        "#3 2026-03-02 09:02 补打凭条 2001", "  流水号 42，补打序号 1",
        "#4 2026-03-02 09:03 员工登录核验 2002", "  工号 2002，结果 密码错误，剩余次数 4，来自 127.0.0.1",
        "#5 2026-03-02 09:04 差错单建立 2001",
        "  编号 1，类别 缴费，流水号 1，户号 0012345678，金额 ¥20.00，留有电话 否，状态 未处理",
        "#6 2026-03-02 09:05 清机结束 7001", "  原因 同一技术员，结果 中止",
        "#7 2026-03-02 09:06 缴费状态变更", "  流水号 2，金额 ¥20.00，原因 后台拒收：户号已销户，状态 待人工处理",
        "#8 2026-03-02 09:07 from_a_later_kioskd", "  colour blue",  # a field without words keeps its name
    ]
    assert en[:4] == ["#1 2026-03-02 09:00 alert change 2001 王芳", "  alert cash box full, state acknowledged",
                      "#2 2026-03-02 09:01 staff action refused 2001 王芳", "  action clear an alert about money"]
    assert en[7] == "  staff ID 2002, result wrong secret, tries left 4, from 127.0.0.1"
    assert en[13] == "  serial 2, amount ¥20.00, reason refused by the backend: account closed, state flagged"
    # nothing the chain keeps as an identifier is shown to staff as one
    assert not any("=" in line or "_" in line for line in zh[:-2] + en[:-2])
