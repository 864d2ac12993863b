"""Resource limits for a student's kernel: set rlimits, optionally drop root, then exec.

Run it *by path*, not with ``-m``: ``python -I -S /path/to/limits.py [options] -- cmd args...``.
``-m rlcourse.grading.limits`` would first import ``rlcourse`` (numpy, gymnasium) in every
launched kernel for nothing; by path with ``-I -S`` this file only imports the standard library
and replaces itself with ``cmd`` (``os.execvp``), so the limits hold for the command and all its
children.

- ``--memory-mb M``: ``RLIMIT_AS`` (address space), so an allocation beyond it raises
  ``MemoryError`` in the student's code instead of exhausting the machine;
- ``--processes N``: ``RLIMIT_NPROC`` (processes and threads of the user; the kernel never
  enforces it for root, hence ``--drop-root``);
- ``--file-size-mb F``: ``RLIMIT_FSIZE`` (Python ignores ``SIGXFSZ``, so a write beyond it raises
  ``OSError``); ``RLIMIT_CORE`` is always 0 (no core dumps of student processes);
- ``--drop-root``: when running as root, give the connection file (the argument after ``-f`` in
  the command) to an unprivileged user (``nobody``, :data:`UNPRIVILEGED_ID`) and switch to it,
  so student code is not root and ``RLIMIT_NPROC`` applies. The directories the kernel writes
  must already belong to that user (``PrivateSpace(owner=...)``).

Without the ``resource`` module (Windows) the command just runs.
"""

from __future__ import annotations

import argparse
import os
import sys

UNPRIVILEGED_ID = 65534
"""The uid and gid of ``nobody`` on Linux, used by ``--drop-root``."""

MIB = 1024 * 1024


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="limits.py", description="Set resource limits, then run a command in their place."
    )
    parser.add_argument("--memory-mb", type=int, default=None, help="address-space limit (MiB)")
    parser.add_argument("--processes", type=int, default=None, help="processes of the user")
    parser.add_argument("--file-size-mb", type=int, default=None, help="largest file written")
    parser.add_argument("--drop-root", action="store_true", help="switch from root to nobody")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- cmd args...")
    return parser


def apply_limits(
    memory_mb: int | None = None, processes: int | None = None, file_size_mb: int | None = None
) -> None:
    """Set the soft and hard rlimits of this process (inherited by what it executes)."""
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the grader still bounds the wall time
        return
    wanted = [(resource.RLIMIT_CORE, 0)]
    if memory_mb is not None:
        wanted.append((resource.RLIMIT_AS, memory_mb * MIB))
    if processes is not None and hasattr(resource, "RLIMIT_NPROC"):
        wanted.append((resource.RLIMIT_NPROC, processes))
    if file_size_mb is not None:
        wanted.append((resource.RLIMIT_FSIZE, file_size_mb * MIB))
    for which, value in wanted:
        _soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)  # an unprivileged process cannot raise its hard limit
        resource.setrlimit(which, (value, value))


def drop_root(command: list[str], uid: int = UNPRIVILEGED_ID, gid: int = UNPRIVILEGED_ID) -> bool:
    """As root: chown the connection file named after ``-f`` and become ``uid``/``gid``.

    Returns False (and changes nothing) when not running as root.
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    flags = [i for i, arg in enumerate(command[:-1]) if arg == "-f"]
    if flags:  # the kernel's own "-f" is the last one (bwrap's options come before it)
        os.chown(command[flags[-1] + 1], uid, gid)
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    return True


def main(argv: list[str] | None = None) -> None:
    """Parse the options, apply them and ``execvp`` the command (never returns)."""
    args = _parser().parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        _parser().error("give the command to run after '--', e.g. -- python -c 'print(1)'")
    apply_limits(args.memory_mb, args.processes, args.file_size_mb)
    if args.drop_root:
        drop_root(command)
    sys.stdout.flush()
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
