"""rlcourse.grading.safety: submissions are read only when they are regular files of a bounded
size, without ever blocking, and names and outputs reach the terminal with every control
character, escape sequence and bidi override shown, not obeyed."""

from __future__ import annotations

import os
import socket
import stat
import sys
import tempfile
import threading
import unicodedata

import pytest

from rlcourse.grading import safety
from rlcourse.grading.safety import (
    MAX_CELLS,
    MAX_NOTEBOOK_BYTES,
    SubmissionFileError,
    read_regular_file,
    safe_path,
    safe_text,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="FIFOs, devices and sockets")
SECRET_TARGET = "/nonexistent-secret-dir/private-target-8e1f.ipynb"


def _read_with_timeout(path, max_bytes=1000, seconds=10.0):
    """read_regular_file in a thread; fails the test (and unblocks a FIFO) when it blocks."""
    outcome: dict = {}

    def run():
        try:
            outcome["data"] = read_regular_file(path, max_bytes=max_bytes)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():  # blocked on a FIFO: give it a writer so the thread can end, then fail
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        t.join(5)
        pytest.fail(f"read_regular_file blocked for {seconds} s on {path}")
    return outcome


def _refused(path, max_bytes=1000) -> SubmissionFileError:
    outcome = _read_with_timeout(path, max_bytes)
    assert "error" in outcome, f"read {outcome.get('data', b'')[:20]!r} from {path}"
    assert isinstance(outcome["error"], SubmissionFileError), repr(outcome["error"])
    return outcome["error"]


def test_limits_are_exported():
    assert MAX_NOTEBOOK_BYTES == 20 * 1024 * 1024
    assert MAX_CELLS == 2000
    assert issubclass(SubmissionFileError, ValueError)


def test_regular_file_and_symlink_to_one_are_read(tmp_path):
    nb = tmp_path / "alice.ipynb"
    nb.write_bytes(b'{"cells": []}')
    assert read_regular_file(nb, max_bytes=100) == b'{"cells": []}'
    assert read_regular_file(str(nb), max_bytes=13) == b'{"cells": []}'  # exactly the limit
    link = tmp_path / "link.ipynb"
    link.symlink_to(nb)
    assert read_regular_file(link, max_bytes=100) == b'{"cells": []}'
    assert read_regular_file(os.fsencode(link), max_bytes=100) == b'{"cells": []}'


def test_a_file_over_the_limit_is_refused(tmp_path):
    nb = tmp_path / "big.ipynb"
    nb.write_bytes(b"x" * 14)
    err = _refused(nb, max_bytes=13)
    assert err.kind == "too-large" and "too large" in str(err) and "13 bytes" in str(err)


def test_a_21_megabyte_notebook_is_refused_without_reading_it(tmp_path, monkeypatch):
    nb = tmp_path / "huge.ipynb"
    with open(nb, "wb") as f:  # sparse: 21 MB on paper, nothing on disk
        f.truncate(21 * 10**6)
    reads = []
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    err = _refused(nb, max_bytes=MAX_NOTEBOOK_BYTES)
    assert err.kind == "too-large" and "21000000 bytes" in str(err)
    assert reads == []  # the size was enough to refuse it


def test_never_reads_more_than_the_limit_plus_one(tmp_path, monkeypatch):
    """A file whose size the stat calls understate (it grows, or /proc) is cut at max + 1."""
    nb = tmp_path / "grows.ipynb"
    nb.write_bytes(b"y" * 5000)
    real_stat, real_fstat, real_read = os.stat, os.fstat, os.read

    def small(st):
        fields = list(st)
        fields[stat.ST_SIZE] = 10
        return os.stat_result(fields)

    monkeypatch.setattr(os, "stat", lambda p, *a, **k: small(real_stat(p, *a, **k)))
    monkeypatch.setattr(os, "fstat", lambda fd: small(real_fstat(fd)))
    requested = []
    monkeypatch.setattr(os, "read", lambda fd, n: requested.append(n) or real_read(fd, n))
    err = _refused(nb, max_bytes=100)
    assert err.kind == "too-large"
    assert sum(requested) <= 101


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="Linux /proc")
def test_a_proc_file_of_size_zero_is_still_bounded():
    err = _refused("/proc/self/status", max_bytes=10)
    assert err.kind == "too-large"


@posix_only
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "alice_02.ipynb"
    os.mkfifo(fifo)
    err = _refused(fifo)
    assert err.kind == "fifo" and "FIFO" in str(err) and "regular file" in str(err)
    link = tmp_path / "bob_02.ipynb"
    link.symlink_to(fifo)
    err = _refused(link)
    assert err.kind == "fifo" and "symbolic link" in str(err)
    assert str(fifo) not in str(err)  # the target is never echoed


@posix_only
def test_a_fifo_swapped_in_after_the_check_cannot_block(tmp_path, monkeypatch):
    """stat says regular (the file was swapped after the check): O_NONBLOCK + fstat catch it."""
    fifo = tmp_path / "swapped.ipynb"
    os.mkfifo(fifo)
    regular = tmp_path / "regular"
    regular.write_bytes(b"{}")
    real_stat = os.stat
    monkeypatch.setattr(
        os,
        "stat",
        lambda p, *a, **k: (
            real_stat(regular) if os.fspath(p) == str(fifo) else real_stat(p, *a, **k)
        ),
    )
    err = _refused(fifo)
    assert err.kind == "fifo"


@posix_only
@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_directly_or_through_a_symlink_is_refused(tmp_path):
    link = tmp_path / "carol_02.ipynb"
    link.symlink_to("/dev/zero")
    for path in ("/dev/zero", link):
        err = _refused(path, max_bytes=MAX_NOTEBOOK_BYTES)
        assert err.kind == "device" and "device" in str(err)
    assert "/dev/zero" not in str(_refused(link))


def test_a_dangling_symlink_never_echoes_its_target(tmp_path):
    link = tmp_path / "dave_02.ipynb"
    link.symlink_to(SECRET_TARGET)
    err = _refused(link)
    assert err.kind == "missing" and "symbolic link" in str(err)
    text = f"{err!s} {err!r} {err.args}"
    assert "private-target" not in text and "nonexistent-secret-dir" not in text


def test_a_missing_file_and_a_symlink_loop(tmp_path):
    assert _refused(tmp_path / "nobody.ipynb").kind == "missing"
    a, b = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    a.symlink_to(b)
    b.symlink_to(a)
    err = _refused(a)
    assert "loop" in str(err) and str(b) not in str(err)


def test_a_directory_or_a_symlink_to_one_is_refused(tmp_path):
    folder = tmp_path / "erin_02.ipynb"
    folder.mkdir()
    link = tmp_path / "frank_02.ipynb"
    link.symlink_to(folder)
    for path in (folder, link):
        err = _refused(path)
        assert err.kind == "directory" and "directory" in str(err)


@posix_only
def test_a_socket_is_refused():
    folder = tempfile.mkdtemp(prefix="rlc", dir="/tmp")  # short: AF_UNIX paths are limited
    path = os.path.join(folder, "s.ipynb")
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(path)
        err = _refused(path)
        assert err.kind == "socket"
    finally:
        server.close()
        os.unlink(path)
        os.rmdir(folder)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_an_unreadable_file_says_so(tmp_path):
    nb = tmp_path / "locked.ipynb"
    nb.write_bytes(b"{}")
    nb.chmod(0)
    try:
        err = _refused(nb)
        assert err.kind == "unreadable" and "Permission denied" in str(err)
    finally:
        nb.chmod(0o600)


def test_max_bytes_must_be_a_count(tmp_path):
    with pytest.raises(ValueError, match="max_bytes"):
        read_regular_file(tmp_path, max_bytes=-1)


# --- safe_text ---------------------------------------------------------------------------------

HOSTILE = {
    "\x1b[2J": "\\x1b[2J",  # clear screen
    "\x1b]0;owned\x07": "\\x1b]0;owned\\x07",  # window title (OSC ... BEL)
    "a\rb": "a\\rb",  # overwrite the line shown
    "ab\x08\x08cd": "ab\\x08\\x08cd",  # backspaces
    "x\x7fy": "x\\x7fy",  # DEL
    "\x9b31m": "\\x9b31m",  # C1 CSI
    "\x00": "\\x00",
    "alice\u202egnp.ipynb": "alice\\u202egnp.ipynb",  # right-to-left override
    "\u2066a\u2069": "\\u2066a\\u2069",  # isolates
    "\u200fx\u061c": "\\u200fx\\u061c",  # RLM, Arabic letter mark
    "a\u2028b": "a\\u2028b",  # line separator
    "bad\udcffbyte": "bad\\udcffbyte",  # os.fsdecode of a non-UTF-8 byte
    "tab\there": "tab here",
    "two\nlines": "two\\nlines",
    "\ufeffbom": "\\ufeffbom",
    "\U000e0041tag": "\\U000e0041tag",
}


@pytest.mark.parametrize("raw, shown", HOSTILE.items())
def test_safe_text_shows_control_characters_as_escapes(raw, shown):
    assert safe_text(raw) == shown


def test_safe_text_leaves_no_character_a_terminal_would_act_on():
    """Every code point of this Python's Unicode database at once: nothing of category Cc, Cf,
    Cs, Zl, Zp survives (except ZWNJ/ZWJ, which reorder nothing), with and without newlines."""
    everything = "".join(chr(c) for c in range(0x110000))
    allowed = {"\u200c", "\u200d"}
    for newlines in (False, True):
        out = safe_text(everything, newlines=newlines)
        bad = sorted(
            hex(ord(ch))
            for ch in set(out) - allowed - ({"\n"} if newlines else set())
            if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp")
        )
        assert bad == []
        assert ("\n" in out) is newlines


def test_safe_text_keeps_ordinary_text():
    for text in (
        "Nguyễn Văn An",
        "José Müller",
        "王小明",
        "محمد",
        "👩\u200d💻",
        "-rf.ipynb",
        "a\\b",
    ):
        assert safe_text(text) == text


def test_safe_text_newlines_mode():
    assert safe_text("a\nb\r\nc\rd", newlines=True) == "a\nb\nc\\rd"
    assert safe_text("a\nb\r\nc", newlines=False) == "a\\nb\\r\\nc"


def test_safe_text_limit_cuts_whole_escapes_and_marks_the_cut():
    assert safe_text("abcdef", limit=6) == "abcdef"
    assert safe_text("abcdefg", limit=6) == "abc..."
    out = safe_text("\x1b" * 10, limit=10)
    assert out == "\\x1b..." and len(out) <= 10
    for n in range(3, 30):
        out = safe_text("ok\x1b[2J" * 50, limit=n)
        assert len(out) <= n and out.endswith("...")
        assert "\x1b" not in out
        body = out[:-3]
        assert body == safe_text("ok\x1b[2J" * 50)[: len(body)]
        assert not body.endswith(("\\", "\\x", "\\x1"))  # no half escape
    with pytest.raises(ValueError, match="limit"):
        safe_text("x", limit=2)


def test_safe_text_of_a_huge_output_is_fast():
    text = ("\x1b[31mred\x1b[0m\n" * 200_000)[: 4 * 10**6]
    out = safe_text(text, limit=200)
    assert len(out) <= 200
    assert "\x1b" not in safe_text(text)


def test_safe_path():
    assert safe_path("-rf.ipynb") == "-rf.ipynb"
    assert safe_path("class/al\nice\x1b[2J.ipynb") == "class/al\\nice\\x1b[2J.ipynb"
    assert safe_path(b"name\xff.ipynb") == "name\\udcff.ipynb"
    from pathlib import Path

    assert safe_path(Path("x") / "alice\u202e.ipynb") == "x/alice\\u202e.ipynb"


def test_module_pre_filter_covers_this_pythons_unicode():
    """The quick regex must find every character _needs_escape would escape."""
    missed = [
        hex(c)
        for c in range(0x110000)
        if safety._needs_escape(chr(c)) and not safety._SUSPECT.match(chr(c))
    ]
    assert missed == [], f"Unicode {unicodedata.unidata_version} on Python {sys.version_info[:2]}"
