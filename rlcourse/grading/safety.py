"""Reading submissions and printing their names without trusting them.

A class's submissions are files someone else made. Two things in them can hurt the grader
before a single cell runs:

- **The file itself.** A "notebook" may be a FIFO (opening it for reading blocks until someone
  writes), a device (``/dev/zero`` never ends), a symlink to either, a dangling symlink, a
  directory, or simply 150 MB. :func:`read_regular_file` reads only regular files (a symlink
  to a regular file is fine), never blocks, never reads more than ``max_bytes + 1`` bytes, and
  raises :class:`SubmissionFileError` otherwise. Its message names the kind of problem, never
  a symlink's target (which could point anywhere on the instructor's machine).
- **Its name and its output.** A file name or a student's printed output may hold terminal
  escape sequences (``\\x1b[2J`` clears the instructor's screen, OSC sequences can set the
  window title or write to the clipboard), a carriage return that overwrites the line shown,
  or Unicode bidi overrides that make ``alice.ipynb`` display as something else.
  :func:`safe_text` and :func:`safe_path` turn every such character into a visible escape
  (``\\x1b``, ``\\u202e``) before anything reaches a terminal.

The limits a grader applies by default are module constants: :data:`MAX_NOTEBOOK_BYTES` (bytes
read) and :data:`MAX_CELLS` (cells, checked by the caller after parsing).
"""

from __future__ import annotations

import errno
import os
import re
import stat
import unicodedata

MAX_NOTEBOOK_BYTES = 20 * 2**20
"""A submitted notebook larger than this (20 MiB) is not read. Exercise notebooks with their
figures are well under 5 MiB; a bigger file is a mistake or an attempt to exhaust memory."""

MAX_CELLS = 2000
"""A submitted notebook with more cells than this is not graded (checked after parsing).
Exercise notebooks have about a hundred."""

_READ_CHUNK = 1 << 20


class SubmissionFileError(ValueError):
    """A submitted file that the grader refuses to read (not a regular file, too large, ...).

    ``kind`` is a short machine-readable word (``"fifo"``, ``"device"``, ``"socket"``,
    ``"directory"``, ``"missing"``, ``"too-large"``, ``"unreadable"``, ``"other"``); the
    message says the same in words with the fix. Neither holds a symlink's target.
    """

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def _kind_of(mode: int) -> tuple[str, str] | None:
    """(kind, words) for a file that is not regular; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "fifo", "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device", "a device"
    if stat.S_ISSOCK(mode):
        return "socket", "a socket"
    if stat.S_ISDIR(mode):
        return "directory", "a directory"
    return "other", "not a regular file"


def _not_regular(kind: str, words: str, via_link: bool) -> SubmissionFileError:
    link = " (through a symbolic link)" if via_link else ""
    return SubmissionFileError(
        f"is {words}{link}, not a regular file: only regular notebook files are read. "
        "Replace it with the .ipynb file itself.",
        kind=kind,
    )


def _is_link(path: str | bytes) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def read_regular_file(path: str | bytes | os.PathLike, *, max_bytes: int) -> bytes:
    """The bytes of a submitted file, read without trusting it.

    Only a regular file (or a symlink to one) of at most ``max_bytes`` bytes is read. Anything
    else raises :class:`SubmissionFileError`: a FIFO, a device, a socket, a directory, a symlink
    to any of these, a dangling symlink, a file that cannot be opened, or one larger than
    ``max_bytes``. Never blocks: the file is checked with ``stat`` before it is opened (so a
    device is never opened at all), opened with ``O_NONBLOCK`` (a FIFO swapped in after the
    check cannot block), checked again on the open descriptor with ``fstat`` (what is read is
    what was checked), and at most ``max_bytes + 1`` bytes are read (a file growing while it
    is read is still caught).
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise ValueError(f"max_bytes must be an int >= 0, got {max_bytes!r}.")
    path = os.fspath(path)
    via_link = _is_link(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _os_error(exc, via_link) from None
    bad = _kind_of(st.st_mode)
    if bad is not None:
        raise _not_regular(*bad, via_link)
    if st.st_size > max_bytes:
        raise _too_large(st.st_size, max_bytes)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _os_error(exc, via_link) from None
    try:
        st = os.fstat(fd)
        bad = _kind_of(st.st_mode)
        if bad is not None:
            raise _not_regular(*bad, via_link)
        if st.st_size > max_bytes:
            raise _too_large(st.st_size, max_bytes)
        chunks: list[bytes] = []
        left = max_bytes + 1
        while left > 0:
            try:
                chunk = os.read(fd, min(left, _READ_CHUNK))
            except BlockingIOError:
                raise SubmissionFileError(
                    "could not be read without waiting; only regular notebook files are read.",
                    kind="other",
                ) from None
            except OSError as exc:
                raise _os_error(exc, via_link) from None
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:
            raise _too_large(None, max_bytes)
        return data
    finally:
        os.close(fd)


def _too_large(size: int | None, max_bytes: int) -> SubmissionFileError:
    what = f"{size} bytes" if size is not None else f"more than {max_bytes} bytes"
    return SubmissionFileError(
        f"is too large ({what}; the limit is {max_bytes} bytes = {max_bytes / 2**20:.1f} MiB). "
        "Clear the notebook's outputs (Kernel > Restart & Clear Output) and save it again.",
        kind="too-large",
    )


def _os_error(exc: OSError, via_link: bool) -> SubmissionFileError:
    # exc.strerror only: str(exc) and exc.filename2 could carry a symlink's target.
    reason = exc.strerror or type(exc).__name__
    if exc.errno == errno.ENOENT:
        if via_link:
            return SubmissionFileError(
                "is a symbolic link to nothing (its target does not exist); replace it with "
                "the .ipynb file itself.",
                kind="missing",
            )
        return SubmissionFileError("does not exist.", kind="missing")
    if exc.errno == errno.ENXIO:  # opening a socket (or a FIFO with no writer in write mode)
        return SubmissionFileError(
            "is a socket or similar special file, not a regular file: only regular notebook "
            "files are read.",
            kind="socket",
        )
    if exc.errno == errno.ELOOP:
        return SubmissionFileError(
            "is a symbolic link that loops; replace it with the .ipynb file itself.",
            kind="other",
        )
    return SubmissionFileError(
        f"could not be read ({reason}); check that the file exists and that the grader may "
        "read it.",
        kind="unreadable",
    )


# --- printing ---------------------------------------------------------------------------------

# Format characters that change how text is ordered or shown (bidi embeddings, overrides,
# isolates and marks, the Arabic letter mark). Every other Cf character is escaped as well,
# except ZWNJ and ZWJ (U+200C, U+200D), which scripts and emoji need and which reorder nothing.
_KEEP_FORMAT = {"\u200c", "\u200d"}
# Control characters, DEL, C1, line/paragraph separators, lone surrogates and Cf characters:
# the quick pre-filter; each candidate is then classified by _escape_char.
_SUSPECT = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001-\U000e007f\ud800-\udfff]"
)


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _needs_escape(ch: str) -> bool:
    if ch in _KEEP_FORMAT:
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp")


def _piece(ch: str, newlines: bool) -> str:
    if ch == "\t":
        return " "
    if ch == "\n":
        return "\n" if newlines else "\\n"
    if ch == "\r":
        return "\\r"
    return _escape(ch) if _needs_escape(ch) else ch


def safe_text(s: str, *, limit: int | None = None, newlines: bool = False) -> str:
    """``s`` made safe to print on an instructor's terminal.

    Every character a terminal acts on instead of showing becomes a visible escape: C0 controls
    (ESC, so no escape sequence survives; CR, BS, BEL, ...), DEL, C1 controls (``\\x9b`` is a
    one-byte CSI on some terminals), Unicode bidi embeddings, overrides, isolates and marks
    (U+202A-202E, U+2066-2069, U+200E/F, U+061C) and the other format characters, U+2028/2029,
    and lone surrogates (what :func:`os.fsdecode` makes of bytes that are not UTF-8). Characters
    up to U+00FF are shown as ``\\xNN``, others as ``\\uNNNN`` (or ``\\UNNNNNNNN``). A tab
    becomes a space. ``\\n`` is kept when ``newlines`` is true (``\\r\\n`` then counts as one
    newline), else shown as ``\\n``. With ``limit``, the result is at most ``limit`` characters,
    ending with ``"..."`` when something was cut (an escape is never cut in half).
    """
    if not isinstance(s, str):
        s = str(s)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 3):
        raise ValueError(f"limit must be None or an int >= 3 (room for '...'), got {limit!r}.")
    if newlines:
        s = s.replace("\r\n", "\n")
    if limit is None:
        return _SUSPECT.sub(lambda m: _piece(m.group(), newlines), s.replace("\t", " "))
    # Each input character gives at least one output character, so limit + 1 of them decide.
    head = s[: limit + 1]
    pieces: list[str] = []
    used = 0
    for ch in head:
        p = _piece(ch, newlines)
        pieces.append(p)
        used += len(p)
        if used > limit:
            break
    if used <= limit and len(s) <= limit:
        return "".join(pieces)
    out: list[str] = []
    used = 0
    for p in pieces:
        if used + len(p) > limit - 3:
            break
        out.append(p)
        used += len(p)
    return "".join(out) + "..."


def safe_path(path: str | bytes | os.PathLike) -> str:
    """A file name made safe to print (``str(path)`` through :func:`safe_text`).

    Bytes are decoded as the file system does (:func:`os.fsdecode`; undecodable bytes are
    shown escaped). A name starting with ``-`` is printed as it is: it is harmless on a
    terminal, but a caller handing such a path to another program must pass it after ``--``
    or as ``./-name``.
    """
    try:
        text = os.fsdecode(path)
    except TypeError:
        text = str(path)
    return safe_text(text)
