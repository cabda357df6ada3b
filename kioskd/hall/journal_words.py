"""What staff read of a journal check's problems and of a kiosk key that cannot be used, zh-CN and en.

The journal's checks (kioskd.ledger: integrity, moneycheck, ...) give each problem a code and its
values beside the English `reason` the log keeps; the key loader (kioskd.uplink.keys) does the same
for KeyFileError. kioskctl (audit verify, restore, keys, staff accounts) shows these words.
tests/audit/test_problem_words.py reads the ledger's source for every code and fails on one without
words here.
"""

from __future__ import annotations

import errno
import re
from typing import Any

from kioskd.hall.registers.events import EVENT_WORDS

# code: (zh-CN, en), formatted with the problem's values (money in fen shown as yuan; an entry kind in words);
# a leading "entry N:" is left out: kioskctl shows the entry's number before the words
PROBLEM_WORDS: dict[str, tuple[str, str]] = {
    # the schema: tables, indexes and triggers (a dropped guard is tampering)
    "schema_missing": ("账本结构被改动：缺少{what} {name}", "journal structure altered: {what} {name} is missing"),
    "schema_added": ("账本结构被改动：多出{what} {name}", "journal structure altered: {what} {name} was added"),
    "schema_changed": ("账本结构被改动：{what} {name} 被修改", "journal structure altered: {what} {name} was changed"),
    "schema_version": ("账本版本为 {version}，应为 {expected}", "journal version {version}, expected {expected}"),
    # the chain and its signed checkpoints
    "entry_missing": ("第 {seq} 条记录缺失", "entry {seq} is missing"),
    "entry_unlinked": ("第 {seq} 条记录与第 {prev} 条衔接不上", "entry {seq} does not link to entry {prev}"),
    "entry_edited": ("第 {seq} 条记录与其哈希不符（被修改）", "entry {seq} does not match its hash (edited)"),
    "bad_signature": ("第 {seq} 条的签名检查点签名无效", "the checkpoint at entry {seq} has a bad signature"),
    "signed_entries_missing": ("第 {first}–{last} 条记录缺失：已有签名检查点覆盖到第 {last} 条",
                               "entries {first}-{last} are missing: a signed checkpoint covers entry {last}"),
    "entries_rewritten": ("第 {first}–{last} 条记录被重写：第 {last} 条的检查点签署的是另一个哈希",
                          "entries {first}-{last} were rewritten: the checkpoint at entry {last} signed another hash"),
    "checkpoint_order": ("第 {seq} 条检查点顺序错乱", "checkpoint entry {seq} is out of sequence"),
    "checkpoint_unsigned": ("第 {seq} 条检查点没有签名", "checkpoint entry {seq} has no signature"),
    "not_followed_by_checkpoint": ("第 {seq} 条（{kind}）之后没有签名检查点",
                                   "entry {seq} ({kind}) is not followed by a signed checkpoint"),
    "not_covered": ("第 {seq} 条（{kind}）没有任何签名检查点覆盖", "entry {seq} ({kind}) is not covered by any signed checkpoint"),
    "witness_missing": ("第 {seq} 条记录缺失，而后台见证过它", "entry {seq} is missing from the head the backend witnessed"),
    "witness_differs": ("第 {seq} 条记录与后台见证的不符", "entry {seq} differs from the head the backend witnessed"),
    # money: notes, box counters, box changes, payments
    "note_twice": ("第 {seq} 条把一张纸币重复入账", "entry {seq} credits a note a second time"),
    "note_missing": ("纸币 {note} 不在纸币表中", "note {note} is missing from the notes table"),
    "note_differs": ("纸币 {note} 与审计链不符（{field}）", "note {note} differs from the chain ({field})"),
    "note_unchained": ("纸币表中的纸币 {note} 在审计链中没有记录", "note {note} in the notes table has no chain entry"),
    "counters_differ": ("钱箱计数与审计链中的纸币不符：{value} 元面额计数 {counted} 张，入账 {credited} 张",
                        "box counters differ from the notes in the chain: {value} yuan notes counted {counted}, "
                        "credited {credited}"),
    "box_change_missing": ("换箱记录 {change} 不在账本中", "box change {change} is missing from the journal"),
    "box_change_differs": ("换箱记录 {change} 与审计链不符（{field}）",
                           "box change {change} differs from the chain ({field})"),
    "box_change_unchained": ("换箱记录 {change} 在审计链中没有记录", "box change {change} has no chain entry"),
    "payment_twice": ("缴费 {txn} 被开始了两次", "payment {txn} is opened twice"),
    "payment_missing": ("对应的缴费不在账本中", "its payment is missing from the journal"),
    "payment_unchained": ("缴费 {txn} 在审计链中没有记录", "payment {txn} has no chain entry"),
    "payment_differs": ("缴费 {txn} 与审计链不符（{field}）", "payment {txn} differs from the chain ({field})"),
    "payment_sum": ("缴费 {txn} 金额 {amount} 元，而其纸币合计 {notes} 元",
                    "payment {txn} is {amount} yuan, its notes {notes} yuan"),
    "stack_intent": ("准备入箱的纸币与审计链不符（第 {seq} 条）", "the note about to be stacked differs from the chain (entry {seq})"),
    "outbox_differs": ("待发送的缴费 {txn} 内容与账本不符", "the outbox holds another payload for payment {txn}"),
    # invoices, in-doubt notes, the daily close
    "invoice_missing": ("缴费 {txn} 的发票记录缺失", "the invoice of payment {txn} is missing"),
    "invoice_twice": ("缴费 {txn} 的发票被申请了两次", "the invoice of payment {txn} was requested twice"),
    "invoice_differs": ("缴费 {txn} 的发票与审计链不符（{field}）",
                        "the invoice of payment {txn} differs from the chain ({field})"),
    "invoice_unchained": ("缴费 {txn} 的发票在审计链中没有记录", "the invoice of payment {txn} has no chain entry"),
    "doubt_unrecorded": ("处理了从未记录的去向不明纸币 {doubt}",
                         "settles in-doubt note {doubt}, never recorded"),
    "doubt_unchained": ("去向不明纸币 {doubt} 在审计链中没有记录", "in-doubt note {doubt} has no chain entry"),
    "doubt_differs": ("去向不明纸币 {doubt} 与审计链不符（{field}）",
                      "in-doubt note {doubt} differs from the chain ({field})"),
    "doubt_missing": ("去向不明纸币 {doubt} 在审计链中有记录，账本中却没有",
                      "in-doubt note {doubt} is in the chain but not in the journal"),
    "close_replay": ("第 {seq} 条（{kind}）与此前的差额记录不符", "entry {seq} ({kind}): {why}"),
    # registers and cases
    "register_differs": ("登记记录 {record}（{kind}）与审计链不符",
                         "register record {record} ({kind}) differs from the chain"),
    "register_missing": ("第 {seq} 条（{kind}）没有登记记录", "entry {seq} ({kind}) has no register record"),
    "handover_differs": ("作业 {session} 的交接记录与审计链不符", "the handover record of session {session} differs from its chain entry"),
    "counterfeit_differs": ("假币 {no} 与审计链不符", "counterfeit note {no} differs from its chain entry"),
    "difference_differs": ("差额 {no} 与审计链不符", "difference {no} differs from its chain entry"),
    "claim_differs": ("厂商索赔 {no} 与审计链不符", "vendor claim {no} differs from its chain entry"),
    "case_step_missing": ("差错单步骤 {step} 不在步骤表中", "case step {step} is missing from the case steps"),
    "case_step_differs": ("差错单步骤 {step} 与审计链不符（{field}）",
                          "case step {step} differs from the chain ({field})"),
    "case_step_unchained": ("差错单步骤 {step} 在审计链中没有记录", "case step {step} has no chain entry"),
    "case_outcome_differs": ("差错单处理结果 {outcome} 与其步骤不符", "case outcome {outcome} differs from its steps"),
    "case_outcome_missing": ("差错单处理结果 {outcome} 在步骤中有、结果表中没有", "case outcome {outcome} is in the steps but not in the outcomes"),
    "case_differs": ("差错单 {no} 与其立案步骤不符", "case {no} differs from its opening step"),
    "case_status_differs": ("差错单 {no} 的状态与其最后一步不符", "case {no}'s status differs from its last step"),
}
UNKNOWN_PROBLEM = ("账本与签名审计链不符", "the journal does not match its signed audit chain")
_YUAN = ("value", "amount", "notes")  # values in fen, shown in yuan
# a table row against its chain entry (kioskd.ledger.tablecheck.first_difference): "KEY: table A, chain B"
_FIELD = re.compile(r"(\w+): table (.*), chain (.*)", re.S)
_WHAT_ZH = {"table": "表", "index": "索引", "trigger": "触发器", "view": "视图"}  # a schema object's type
_FIELD_WORDS = ("{0}：账本中为 {1}，审计链中为 {2}", "{0}: {1} in the table, {2} in the chain")

# a kiosk key file that cannot be used (kioskd.uplink.errors.KeyFileError's code)
KEY_WORDS: dict[str, tuple[str, str]] = {
    "exists": ("密钥文件 {path} 已存在，拒绝覆盖", "key file {path} exists; refusing to overwrite it"),
    "cannot_create": ("无法创建密钥文件 {path}：{why}", "key file {path}: cannot create: {why}"),
    "open_mode": ("密钥文件 {path} 的权限为 {mode}，组或其他用户可以读取；请运行 `chmod 600 {path}`",
                  "key file {path} has mode {mode}: group/others may access it; run `chmod 600 {path}`"),
    "missing": ("密钥文件 {path} 不存在；请用 `kioskctl keys init --key {path}` 创建，并在后台登记其公钥",
                "key file {path} does not exist; create it with `kioskctl keys init --key {path}` "
                "and enrol its public key at the backend"),
    "unreadable": ("无法读取密钥文件 {path}：{why}", "key file {path}: {why}"),
    "not_pem": ("密钥文件 {path} 不是未加密的 PEM PKCS#8 密钥", "key file {path} is not an unencrypted PEM PKCS#8 key"),
    "not_ed25519": ("密钥文件 {path} 不是 Ed25519 密钥", "key file {path} is not an Ed25519 key"),
}
# why a file could not be read or written (errno) in zh-CN; in English the system's own words
OS_WORDS_ZH: dict[int, str] = {
    errno.EACCES: "没有权限", errno.EPERM: "没有权限", errno.ENOENT: "文件或目录不存在",
    errno.EISDIR: "这是一个目录", errno.EROFS: "文件系统只读", errno.ENOSPC: "磁盘已满",
    errno.ENOTDIR: "路径中有一项不是目录", errno.EIO: "磁盘读写错误",
}

def _said(words: tuple[str, str], values: dict[str, Any], lang: str) -> str:
    zh, en = words
    shown = dict(values)
    for key in _YUAN:
        if isinstance(shown.get(key), int):
            shown[key] = f"{shown[key] // 100}.{shown[key] % 100:02d}"
    field = _FIELD.fullmatch(str(shown.get("field", "")))
    if field:
        shown["field"] = _FIELD_WORDS[0 if lang == "zh-CN" else 1].format(*field.groups())
    if lang == "zh-CN" and shown.get("what") in _WHAT_ZH:
        shown["what"] = _WHAT_ZH[shown["what"]]
    if isinstance(shown.get("kind"), str) and shown["kind"] in EVENT_WORDS:
        shown["kind"] = EVENT_WORDS[shown["kind"]][0 if lang == "zh-CN" else 1]
    try:
        return (zh if lang == "zh-CN" else en).format(**shown)
    except (KeyError, IndexError):  # values from an older kioskd: the words without them
        return UNKNOWN_PROBLEM[0 if lang == "zh-CN" else 1]


def problem_text(code: str, values: dict[str, Any], lang: str) -> str:
    """One journal problem (its code and values) as staff read it in `lang`."""
    return _said(PROBLEM_WORDS.get(code, UNKNOWN_PROBLEM), values, lang)


def problems_line(problems: list[Any], lang: str) -> str:
    """Problems (AuditProblem) in one line: the first bad entry (or what is wrong) and how many more."""
    first = problems[0]
    said = problem_text(first.code, first.values, lang)
    more = len(problems) - 1
    if lang == "zh-CN":
        head = f"审计链被改动，第一个有问题的条目 {first.seq}：" if first.seq else "账本被改动："
        return head + said + (f"（另有 {more} 处问题）" if more else "")
    head = f"audit chain altered; first bad entry: {first.seq}: " if first.seq else "journal altered: "
    return head + said + (f" (and {more} more)" if more else "")


def os_reason(number: int | None, said: str, lang: str) -> str:
    """Why a file could not be used (its errno, the system's words `said`), in `lang`."""
    return OS_WORDS_ZH.get(number or 0, said) if lang == "zh-CN" else said


def public_key_reason(err: Exception, lang: str) -> str:
    """Why a key given to check signatures (a PEM file or --pubkey) cannot be used, in `lang`; in English
    the system's or the key library's own words."""
    if isinstance(err, OSError):
        return os_reason(err.errno, err.strerror or str(err), lang)
    return "不是可用的 Ed25519 密钥" if lang == "zh-CN" else str(err)


def key_text(err: Exception, lang: str) -> str:
    """A KeyFileError (its code and values) as staff read it in `lang`; its English for one without a code."""
    code, values = getattr(err, "code", ""), dict(getattr(err, "values", {}))
    if code not in KEY_WORDS:
        return str(err)
    if "why" in values:
        values["why"] = os_reason(values.get("errno"), values["why"], lang)
    return _said(KEY_WORDS[code], values, lang)
