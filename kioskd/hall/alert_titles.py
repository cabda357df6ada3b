"""What staff read (zh-CN, en) for each alert code: words only, so kioskctl reads them without the
alert machinery (kioskd.hall.alerts) and its backend link."""

from __future__ import annotations

TITLES: dict[str, tuple[str, str]] = {
    "note_jam": ("卡币", "note jammed"),
    "stacker_full": ("钱箱已满", "cash box full"),
    "stacker_near_full": ("钱箱将满", "cash box nearly full"),
    "box_removed": ("钱箱已取出（有授权）", "cash box removed (custody)"),
    "box_tamper": ("钱箱被异常取出", "cash box removed without custody"),
    "validator_offline": ("识币器离线", "validator offline"),
    "validator_fault": ("识币器故障", "validator fault"),
    "printer_paper_out": ("打印机缺纸", "printer out of paper"),
    "printer_paper_low": ("打印纸将尽", "printer paper low"),
    "printer_offline": ("打印机离线", "printer offline"),
    "backend_unreachable": ("后台无法连接", "backend unreachable"),
    "payment_flagged": ("缴费需人工处理", "payment flagged for staff"),
    "custody_mismatch": ("清点不符", "cash count mismatch"),
    "door_open": ("机门打开", "door open"),
    "door_unreadable": ("机门开关无法读取", "door switch unreadable"),
    "power_restored": ("电源恢复", "power restored"),
    "clock_skew": ("时钟偏差", "clock off the backend's"),
    "cash_without_case": ("待处理款项无人跟进", "cash not credited and no case"),
    "staff_emergency_login": ("有人使用应急口令登录", "emergency token used to log in"),
    "journal_tampered": ("账本与签名审计链不符", "journal does not match its signed audit chain"),
    "patrol_missed": ("巡检超时未做", "patrol missed"),
    "box_not_emptied": ("今日未清机", "cash box not emptied today"),
    "note_in_doubt": ("纸币去向不明（重启时无法确认是否入箱）", "note in doubt (after a restart the validator "
                      "could not tell whether it went into the box)"),
    "batch_refused": ("后台拒收数据批次，之后的批次都在等待上传（缴费照常入账）：请通知运营方",
                      "the backend refused a batch; later batches wait behind it (payments are still "
                      "credited): tell the operator"),
}
