"""Linux Landlock (kernel 5.13+): an unprivileged process takes away its own access to every
file outside an allow-list, to TCP, and to signals and abstract sockets of other processes.

The sandboxed agent process (:mod:`wmagents.harness.agent_host`) calls :func:`restrict_self`
once, before it imports the contributed adapter. Rules are inherited by children and cannot be
lifted. Landlock also stops ``ptrace`` (and ``/proc/<pid>/mem``) of processes outside the
sandbox. Raw syscalls through ``ctypes``; the numbers are the same on x86-64 and arm64.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_VERSION_FLAG, _RULE_PATH_BENEATH, _PR_SET_NO_NEW_PRIVS = 1, 1, 38
# filesystem rights by the ABI that introduced them
_FS_RIGHTS = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
IOCTL_DEV = 1 << 15
READ = EXECUTE | READ_FILE | READ_DIR


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def abi_version() -> int:
    """The kernel's Landlock ABI (0: not available: not Linux, too old, or disabled)."""
    try:
        version = _libc().syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), _VERSION_FLAG)
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


def _fs_rights(abi: int) -> int:
    return _FS_RIGHTS[max(a for a in _FS_RIGHTS if a <= abi)]


def restrict_self(read: list[str], write: list[str], devices: list[str]) -> int:
    """Allow reading (and executing) beneath ``read``, everything beneath ``write``,
    reading, writing and ioctl beneath ``devices``; nothing else on the filesystem, no TCP
    bind or connect (ABI 4+), no signals or abstract unix sockets to processes outside
    (ABI 6+). Returns the ABI used. Raises OSError where Landlock is unavailable."""
    abi = abi_version()
    if abi < 1:
        raise OSError("Landlock is not available on this kernel")
    libc, handled = _libc(), _fs_rights(abi)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else 16 if abi >= 4 else 8
    attr = _RulesetAttr(handled, 0b11 if abi >= 4 else 0, 0b11 if abi >= 6 else 0)
    ruleset = libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for paths, rights in ((read, READ), (write, handled),
                              (devices, READ_FILE | WRITE_FILE | IOCTL_DEV)):
            for path in paths:
                _add_rule(libc, ruleset, path, rights & handled)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
                libc.syscall(_RESTRICT_SELF, ruleset, 0) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return abi


def _add_rule(libc, ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if not os.path.isdir(path):     # a file rule takes only file rights
            rights &= ~READ_DIR
        rule = _PathBeneathAttr(rights, fd)
        if libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
    finally:
        os.close(fd)


def allowed_roots(roots: list[str], denied: list[str]) -> list[str]:
    """The smallest set of paths that covers every path beneath ``roots`` except those beneath
    ``denied``: a root holding a denied path is replaced by its entries, recursively."""
    denied_real = {Path(os.path.realpath(d)) for d in denied}
    out: list[str] = []

    def cover(path: Path) -> None:
        if any(path == d or d in path.parents for d in denied_real):
            return
        if not any(path in d.parents for d in denied_real):
            out.append(str(path))
            return
        try:
            entries = sorted(path.iterdir())
        except OSError:
            return
        for entry in entries:
            cover(Path(os.path.realpath(entry)) if entry.is_symlink() else entry)

    for root in dict.fromkeys(os.path.realpath(r) for r in roots):
        cover(Path(root))
    return list(dict.fromkeys(out))
