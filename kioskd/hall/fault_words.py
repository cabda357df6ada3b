"""What staff read for each fault a bill validator reports about itself (a `validator_fault` alert's `kind`).

The kinds are the drivers' own (docs/protocols.md): ID-003 and CCNET status codes (pause, cheated,
failure + a failure code), ccTalk's fault events, SSP's note path and fraud events, and what the
drivers find themselves (events lost, counters that disagree with the journal). The driver's English
stays in the alert's detail for the technician's secondary line.
"""

from __future__ import annotations

# ID-003 (0x49) and CCNET (0x47) failure codes, as kind "failure: <name>" (the alert's title says
# "validator fault" already)
_FAILURES: dict[str, tuple[str, str]] = {
    "stacker motor": ("压钞电机故障", "the stacker motor failed"),
    "stack motor": ("压钞电机故障", "the stacker motor failed"),
    "transport motor speed": ("输送电机转速异常", "the transport motor runs at the wrong speed"),
    "transport motor": ("输送电机故障", "the transport motor failed"),
    "aligning motor": ("对中电机故障", "the aligning motor failed"),
    "cashbox not ready": ("钱箱未就位（请检查钱箱是否推到底）", "the cash box is not in place (push it fully home)"),
    "initial cassette status": ("开机时钱箱状态异常（请检查钱箱是否推到底）",
                                "the cash box was not in order at power-up (push it fully home)"),
    "validator head removed": ("识别头被拆下或未装好", "the validator head is removed or not seated"),
    "boot ROM": ("引导程序存储器校验错误", "boot ROM checksum error"),
    "external ROM": ("外部存储器校验错误", "external ROM checksum error"),
    "ROM": ("程序存储器校验错误", "ROM checksum error"),
    "external ROM writing": ("写入外部存储器失败", "writing the external ROM failed"),
    "optic canal": ("光学传感器故障", "the optical sensor failed"),
    "magnetic canal": ("磁性传感器故障", "the magnetic sensor failed"),
    "capacitance canal": ("电容传感器故障", "the capacitance sensor failed"),
}

FAULT_KINDS: dict[str, tuple[str, str]] = {
    **{f"failure: {name}": words for name, words in _FAILURES.items()},
    "failure": ("识币器硬件故障（故障代码未列明）", "the validator reports a hardware failure (a code not listed)"),
    # ID-003 and CCNET
    "pause": ("识币器暂停：一张纸币未走完又塞入了另一张，请取出多余的纸币",
              "the validator paused: a second note was pushed in behind the first; take the extra note out"),
    "cheated": ("识币器检测到作弊企图（纸币被拉回或传感器被遮挡）",
                "the validator detected cheating (a note pulled back, or its sensors covered)"),
    "communication error": ("识币器报告收到的指令有误（通信错误，请检查线缆）",
                            "the validator reports a garbled command (a communication error: check the cable)"),
    # ccTalk
    "bill tamper": ("识币器检测到有人动手脚（纸币被拉扯）", "the validator detected tampering with a note"),
    "stacker faulty": ("识币器压钞机构故障", "the validator's stacker is faulty"),
    "opto fraud detected": ("识币器检测到光学欺诈（传感器被照射或遮挡）",
                            "the validator detected optical fraud (its sensors lit or covered)"),
    "string fraud detected": ("识币器检测到拴线纸币（拉线欺诈）", "the validator detected a note on a string"),
    "anti-string mechanism faulty": ("识币器防拉线机构故障", "the validator's anti-string mechanism is faulty"),
    "unknown bill type stacked": ("一张无法识别面额的纸币已入箱：清点时核对",
                                  "a note of unknown value went into the box: check it at the count"),
    "events_lost": ("识币器的纸币记录有丢失：请清点钱箱核对", "the validator's note events were lost: count the box to check"),
    # SSP
    "note path open": ("识币器纸币通道被打开", "the validator's note path is open"),
    "fraud attempt": ("识币器检测到欺诈企图", "the validator detected a fraud attempt"),
    "counters_mismatch": ("识币器计数与账本不符：有纸币未入账，请清点钱箱核对",
                          "the validator's counters disagree with the journal: notes went uncredited, count the box"),
}


def fault_kind_words(kind: str) -> tuple[str, str] | None:
    """A fault kind in words (zh-CN, en); a failure code not listed reads as a hardware failure; None: not known."""
    if kind in FAULT_KINDS:
        return FAULT_KINDS[kind]
    if kind.startswith("failure: "):
        return FAULT_KINDS["failure"]
    return None
