"""What staff read when the journal cannot be opened, locked, migrated, read or written, zh-CN and en.

The ledger (kioskd.ledger: lock, schema, sqlite, journal) gives each such StorageError/LedgerError a code
and its values beside the English message the log keeps; kioskctl (audit verify, backup, restore) says
them here. tests/audit/test_problem_words.py reads the ledger's source for every StorageError and
JournalLocked code and fails on one without words.
"""

from __future__ import annotations

from kioskd.hall.journal_words import os_reason

# code: (zh-CN, en), formatted with the error's values
STORAGE_WORDS: dict[str, tuple[str, str]] = {
    "locked": ("账本正被占用（锁文件 {path}）：kioskd 正在此状态目录上运行，或另一个恢复正在进行",
               "journal lock {path} is held: kioskd is running on this state directory, or a restore is under way"),
    "lock_unusable": ("无法取得账本锁 {path}：{why}", "journal lock {path}: {why}"),
    "state_dir": ("无法创建状态目录 {path}：{why}", "cannot create the state directory {path}: {why}"),
    "backup_dest": ("无法写入备份 {path}：{why}", "cannot write the backup {path}: {why}"),
    "os": ("无法使用账本 {path}：{why}", "journal {path}: {why}"),
    "corrupt": ("账本 {path} 已损坏（页面完整性检查未通过）", "journal {path} is corrupt: {verdict}"),
    "pragma": ("账本 {path} 的设置 {pragma} 为 {value}，应为 {required}",
               "journal {path}: {pragma} is {value}, {required} required"),
    "newer": ("账本版本 {version} 比此 kioskd 支持的版本 {latest} 新：请安装更新的 kioskd，或换用本版本写出的备份",
              "journal schema version {version} is newer than this kioskd ({latest}): install a newer kioskd "
              "or use a backup this version wrote"),
    "migration_reference": ("账本升级到第 {version} 版时会破坏表间引用，升级已撤回",
                            "journal migration {version}: a reference would break; rolled back"),
    "other_kiosk": ("账本属于终端 {stored}，而配置的终端是 {configured}",
                    "the journal belongs to kiosk {stored}, the config names kiosk {configured}"),
    "other_currency": ("账本的币种为 {stored}，而配置的币种是 {configured}",
                       "the journal's currency is {stored}, the config names {configured}"),
    "sqlite": ("无法使用账本 {path}（{name}）", "journal {path}: {why} ({name})"),
}
# an SQLite refusal ("sqlite") by its name (SQLITE_IOERR_WRITE counts as SQLITE_IOERR)
SQLITE_WORDS: dict[str, tuple[str, str]] = {
    "SQLITE_NOTADB": ("{path} 不是 kioskd 账本（不是数据库文件）",
                      "{path} is not a kioskd journal (not an SQLite database)"),
    "SQLITE_CANTOPEN": ("无法打开账本 {path}：文件或目录不存在，或没有权限",
                        "cannot open the journal {path}: no such file or directory, or no permission"),
    "SQLITE_READONLY": ("账本 {path} 无法写入：文件系统只读或没有写权限",
                        "the journal {path} cannot be written: read-only file system or no write permission"),
    "SQLITE_FULL": ("磁盘已满，无法写入账本 {path}", "the disk is full: the journal {path} cannot be written"),
    "SQLITE_CORRUPT": ("账本 {path} 已损坏", "the journal {path} is corrupt: {why}"),
    "SQLITE_IOERR": ("读写账本 {path} 时磁盘出错", "disk error reading or writing the journal {path}: {why}"),
    "SQLITE_BUSY": ("账本 {path} 正被其他进程占用", "the journal {path} is busy in another process"),
    "SQLITE_LOCKED": ("账本 {path} 正被其他进程占用", "the journal {path} is busy in another process"),
    "SQLITE_PERM": ("没有权限使用账本 {path}", "no permission to use the journal {path}"),
}


def storage_text(err: Exception, lang: str) -> str:
    """A journal error (its code and values) as staff read it in `lang`; its English for one without a code."""
    code, values = getattr(err, "code", ""), dict(getattr(err, "values", {}))
    words = STORAGE_WORDS.get(code)
    if code == "sqlite":
        words = SQLITE_WORDS.get("_".join(str(values.get("name", "")).split("_")[:2]), words)
    if words is None:
        return str(err)
    if "errno" in values:
        values["why"] = os_reason(values["errno"], values.get("why", ""), lang)
    try:
        return words[0 if lang == "zh-CN" else 1].format(**values)
    except (KeyError, IndexError):  # values missing: the log's English rather than nothing
        return str(err)
