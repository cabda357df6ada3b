"""A FUSE file system that loses, at a power cut, every write not yet made durable.

Like Jepsen's LazyFS: file contents survive a cut only as of their last fsync/fdatasync,
and a directory's entries (new files, renames, unlinks) only as of the directory's last
fsync. So a state file written without write-temp-fsync-rename-fsync-dir comes back old,
empty or missing after `cut`, and the daemon restarts on the surviving bytes only.

    python -m tests.power.lazyfs MOUNTPOINT

Commands, one a line on stdin, each answered by one line on stdout:
`cut` (drop the unsynced state), `full` (no more space: writes that grow the data fail
with ENOSPC), `space` (unlimited again), `ro` / `rw` (writes fail with EROFS, or not),
`usage` (bytes held), `quit` (unmount). It prints `ready` once mounted.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import mfusepy as fuse

PAGE = 4096


@dataclass
class Node:
    """One inode: a file's bytes with an undo log since its last fsync, or a directory's entries."""

    mode: int
    data: bytearray = field(default_factory=bytearray)
    undo: dict[int, bytes] = field(default_factory=dict)  # page -> its bytes at the last fsync
    durable_size: int = 0
    entries: dict[str, Node] = field(default_factory=dict)
    durable_entries: dict[str, Node] = field(default_factory=dict)
    mtime: float = field(default_factory=time.time)
    # SQLite's wal-index (`-shm`): memory its processes share through mmap (see LazyFS.write)
    shared_memory: bool = False

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)

    def remember(self, start: int, end: int) -> None:
        """Keep the durable bytes of the pages in [start, end) before they change."""
        for page in range(start // PAGE, (max(end, start + 1) - 1) // PAGE + 1):
            if page not in self.undo:
                self.undo[page] = bytes(self.data[page * PAGE:(page + 1) * PAGE])

    def sync(self) -> None:
        """fsync: the current bytes (or entries) become the ones a cut keeps."""
        self.undo.clear()
        self.durable_size = len(self.data)
        if self.is_dir:
            self.durable_entries = dict(self.entries)

    def cut(self) -> None:
        """The power goes: back to the last fsync."""
        if self.is_dir:
            self.entries = dict(self.durable_entries)
            return
        data = self.data[:self.durable_size]
        data.extend(bytes(self.durable_size - len(data)))
        for page, old in self.undo.items():
            start = page * PAGE
            if start < self.durable_size:
                data[start:start + len(old)] = old[:self.durable_size - start]
        self.data, self.undo = data, {}


def new_dir(mode: int) -> Node:
    return Node(stat.S_IFDIR | mode)


class LazyFS(fuse.Operations):
    """The operations; every call holds one lock so `cut` sees a still file system."""

    use_ns = True

    def __init__(self) -> None:
        self.root = new_dir(0o755)
        self.handles: dict[int, Node] = {}
        self.next_handle = 1
        self.mutex = threading.Lock()
        self.full = False
        self.readonly = False

    # -- paths --------------------------------------------------------------------
    def _find(self, path: str) -> Node:
        node = self.root
        for part in filter(None, path.split("/")):
            if not node.is_dir or part not in node.entries:
                raise fuse.FuseOSError(errno.ENOENT)
            node = node.entries[part]
        return node

    def _parent(self, path: str) -> tuple[Node, str]:
        head, _, name = path.rstrip("/").rpartition("/")
        parent = self._find(head or "/")
        if not parent.is_dir:
            raise fuse.FuseOSError(errno.ENOTDIR)
        return parent, name

    def _node(self, path: str | None, fh: int | None) -> Node:
        if fh is not None and fh in self.handles:
            return self.handles[fh]
        if path is None:
            raise fuse.FuseOSError(errno.EBADF)
        return self._find(path)

    def _writable(self, grows: int = 0) -> None:
        if self.readonly:
            raise fuse.FuseOSError(errno.EROFS)
        if self.full and grows > 0:
            raise fuse.FuseOSError(errno.ENOSPC)

    def _handle(self, node: Node) -> int:
        self.next_handle += 1
        self.handles[self.next_handle] = node
        return self.next_handle

    # -- control ------------------------------------------------------------------
    def cut(self) -> None:
        """Every node reachable after the cut goes back to its last fsync."""
        with self.mutex:
            self.handles.clear()
            seen: set[int] = set()
            todo = [self.root]
            while todo:
                node = todo.pop()
                if id(node) in seen:
                    continue
                seen.add(id(node))
                node.cut()
                if node.is_dir:
                    todo.extend(node.entries.values())

    def usage(self) -> int:
        with self.mutex:
            total, todo = 0, [self.root]
            while todo:
                node = todo.pop()
                total += len(node.data)
                todo.extend(node.entries.values())
            return total

    # -- operations ---------------------------------------------------------------
    def getattr(self, path: str, fh: int | None = None) -> dict:
        with self.mutex:
            node = self._node(path, fh)
            ns = int(node.mtime * 1e9)
            return {"st_mode": node.mode, "st_nlink": 2 if node.is_dir else 1,
                    "st_size": len(node.data), "st_uid": os.getuid(), "st_gid": os.getgid(),
                    "st_atime": ns, "st_mtime": ns, "st_ctime": ns, "st_blocks": len(node.data) // 512}

    def readdir(self, path: str, fh: int) -> list[str]:
        with self.mutex:
            return [".", "..", *self._find(path).entries]

    def mkdir(self, path: str, mode: int) -> int:
        with self.mutex:
            self._writable(1)
            parent, name = self._parent(path)
            if name in parent.entries:
                raise fuse.FuseOSError(errno.EEXIST)
            parent.entries[name] = new_dir(mode & 0o7777)
            return 0

    def rmdir(self, path: str) -> int:
        with self.mutex:
            self._writable()
            parent, name = self._parent(path)
            if self._find(path).entries:
                raise fuse.FuseOSError(errno.ENOTEMPTY)
            del parent.entries[name]
            return 0

    def create(self, path: str, mode: int, flags: int = 0) -> int:
        with self.mutex:
            self._writable(1)
            parent, name = self._parent(path)
            node = parent.entries.get(name)
            if node is None:
                node = parent.entries[name] = Node(mode, shared_memory=name.endswith("-shm"))
            return self._handle(node)

    def mknod(self, path: str, mode: int, dev: int) -> int:
        with self.mutex:
            self._writable(1)
            parent, name = self._parent(path)
            if name in parent.entries:
                raise fuse.FuseOSError(errno.EEXIST)
            parent.entries[name] = Node(mode, shared_memory=name.endswith("-shm"))
            return 0

    def open(self, path: str, flags: int) -> int:
        with self.mutex:
            if flags & (os.O_WRONLY | os.O_RDWR) and self.readonly:
                raise fuse.FuseOSError(errno.EROFS)
            return self._handle(self._find(path))

    def opendir(self, path: str) -> int:
        with self.mutex:
            return self._handle(self._find(path))

    def release(self, path: str | None, fh: int) -> int:
        with self.mutex:
            self.handles.pop(fh, None)
            return 0

    releasedir = release

    def read(self, path: str | None, size: int, offset: int, fh: int) -> bytes:
        with self.mutex:
            return bytes(self._node(path, fh).data[offset:offset + size])

    def write(self, path: str | None, data: bytes, offset: int, fh: int) -> int:
        with self.mutex:
            node = self._node(path, fh)
            grows = offset + len(data) - len(node.data)
            # An -shm file's pages are written back by the kernel from the processes' shared
            # mapping. A real disk that fills or turns read-only leaves those pages in RAM,
            # coherent; FUSE drops them at the next open of the file, so a refused write-back
            # would roll the wal-index back under the running daemon (and lose committed
            # transactions), which no disk does. Rewriting it in place always works here;
            # growing it is refused like any file.
            if not (node.shared_memory and grows <= 0):
                self._writable(grows)
            node.remember(offset, offset + len(data))
            if offset > len(node.data):
                node.data.extend(bytes(offset - len(node.data)))
            node.data[offset:offset + len(data)] = data
            node.mtime = time.time()
            return len(data)

    def truncate(self, path: str | None, length: int, fh: int | None = None) -> int:
        with self.mutex:
            node = self._node(path, fh)
            self._writable(length - len(node.data))
            node.remember(min(length, len(node.data)), max(length, len(node.data)))
            del node.data[length:]
            node.data.extend(bytes(length - len(node.data)))
            return 0

    def fsync(self, path: str | None, datasync: int, fh: int) -> int:
        with self.mutex:
            self._node(path, fh).sync()
            return 0

    def fsyncdir(self, path: str | None, datasync: int, fh: int) -> int:
        with self.mutex:
            self._node(path, fh).sync()
            return 0

    def unlink(self, path: str) -> int:
        with self.mutex:
            self._writable()
            parent, name = self._parent(path)
            if name not in parent.entries:
                raise fuse.FuseOSError(errno.ENOENT)
            del parent.entries[name]
            return 0

    def rename(self, old: str, new: str) -> int:
        with self.mutex:
            self._writable()
            old_parent, old_name = self._parent(old)
            new_parent, new_name = self._parent(new)
            if old_name not in old_parent.entries:
                raise fuse.FuseOSError(errno.ENOENT)
            new_parent.entries[new_name] = old_parent.entries.pop(old_name)
            return 0

    def link(self, target: str, source: str) -> int:
        with self.mutex:
            self._writable(1)
            parent, name = self._parent(target)
            if name in parent.entries:
                raise fuse.FuseOSError(errno.EEXIST)
            parent.entries[name] = self._find(source)
            return 0

    def chmod(self, path: str, mode: int) -> int:
        with self.mutex:
            self._writable()
            node = self._find(path)
            node.mode = (node.mode & ~0o7777) | (mode & 0o7777)
            return 0

    def chown(self, path: str, uid: int, gid: int) -> int:
        return 0

    def utimens(self, path: str, times: tuple[int, int] | None = None) -> int:
        with self.mutex:
            self._find(path).mtime = time.time() if times is None else times[1] / 1e9
            return 0

    def statfs(self, path: str) -> dict:
        free = 0 if self.full else 1 << 18
        return {"f_bsize": PAGE, "f_frsize": PAGE, "f_blocks": (1 << 18) + self.usage() // PAGE,
                "f_bfree": free, "f_bavail": free, "f_files": 1 << 16, "f_ffree": 1 << 15,
                "f_namemax": 255}


def serve_commands(fs: LazyFS, mountpoint: str) -> None:
    """Read commands on stdin, answer on stdout; `quit` or end of input unmounts."""
    actions = {
        "cut": fs.cut,
        "full": lambda: setattr(fs, "full", True),
        "space": lambda: setattr(fs, "full", False),
        "ro": lambda: setattr(fs, "readonly", True),
        "rw": lambda: setattr(fs, "readonly", False),
    }
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            break
        if command == "usage":
            print(f"ok {fs.usage()}", flush=True)
        elif command in actions:
            actions[command]()
            print("ok", flush=True)
        else:
            print(f"error unknown command {command!r}", flush=True)
    subprocess.run(["fusermount3", "-u", "-z", mountpoint], check=False)


def main() -> None:
    """Mount, say `ready`, serve commands until `quit`."""
    mountpoint = sys.argv[1]
    fs = LazyFS()

    def ready(_path: str) -> None:
        threading.Thread(target=serve_commands, args=(fs, mountpoint), daemon=True).start()
        print("ready", flush=True)

    fs.init = ready  # type: ignore[method-assign]
    # no kernel caching of names or attributes: after a cut the next lookup must see the cut
    fuse.FUSE(fs, mountpoint, foreground=True, nothreads=True, hard_remove=True,
              entry_timeout=0, attr_timeout=0, negative_timeout=0, fsname="kioskd-lazyfs")


if __name__ == "__main__":
    main()
