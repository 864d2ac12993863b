"""rlcourse.grading.classroom: student names, gradebook CSV, shards, merging shard results,
and the --jobs progress line, including names a hostile student would choose."""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from rlcourse.grading.classroom import (
    CHAPTER_TOPICS,
    GradesFileError,
    Progress,
    csv_table,
    identical_groups,
    in_shard,
    load_document,
    merge_documents,
    parse_shard,
    round_points,
    shard_of,
    student_name,
    write_csv,
)

REPO = Path(__file__).resolve().parents[1]

# --- round_points ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, expected",
    [
        (2.675, 2.68),  # round() says 2.67: the binary value is 2.67499999...
        (0.125, 0.13),  # round() says 0.12: half to even
        (1.005, 1.01),
        (-2.675, -2.68),  # half away from zero on the negative side too
        (1 / 3, 0.33),
        (2 / 3, 0.67),
        (7.5, 7.5),
        (10, 10.0),
        (0.0049999, 0.0),
    ],
)
def test_round_points_half_away_from_zero(x, expected):
    assert round_points(x) == expected


def test_round_points_never_gives_negative_zero():
    for x in (-0.0, -0.004, -0.001):
        r = round_points(x)
        assert r == 0.0 and math.copysign(1.0, r) == 1.0 and f"{r:.2f}" == "0.00"


def test_round_points_refuses_what_is_not_a_number():
    for x in (math.nan, math.inf):
        with pytest.raises(ValueError, match="finite"):
            round_points(x)


# --- student_name ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, name",
    [
        ("alice_02_dynamic_programming.ipynb", "alice"),
        ("02_dynamic_programming_bob.ipynb", "bob"),
        ("Carol Smith - 02_dynamic_programming.ipynb", "Carol Smith"),
        ("alice/02_dynamic_programming.ipynb", "alice"),
        ("class/dave/02_dynamic_programming.ipynb", "dave"),
        ("class/Erin_03_MC_TD_Prediction.ipynb", "Erin"),  # any case
        ("frank-04-q_learning.ipynb", "frank-04-q_learning"),  # no NN_: not a chapter part
        ("frank 04_q-learning.ipynb", "frank"),  # a hyphen for an underscore of the topic
        ("02_dynamic_programming_grace_smith.ipynb", "grace_smith"),
        ("heidi_02_dynamic_programming (1).ipynb", "heidi"),  # browser duplicate
        ("ivan_02_dynamic_programming-Copy1.ipynb", "ivan"),  # Jupyter duplicate
        ("judy_02_dp.ipynb", "judy"),  # words that are not the topic: up to a separator
        ("x/02_dp_karl.ipynb", "x"),  # ... so this one is the folder's (documented)
        ("karl - 02_dp.ipynb", "karl"),
        ("bob12_02_dynamic_programming.ipynb", "bob12"),
        ("s07_03_mc_td_prediction.ipynb", "s07"),  # 07_ after a letter is not the chapter
        ("s07_03_x.ipynb", "s07"),
        ("alice_02_dp_v10_final.ipynb", "alice"),
        ("walter02_dynamic_programming.ipynb", "walter"),  # no separator at all
        ("smithj_12345_67890_02_dynamic_programming.ipynb", "smithj_12345_67890"),  # Canvas
        ("mallory_13_mcts_alphazero.ipynb", "mallory"),  # a chapter not written yet
        ("02_dynamic_programming.ipynb", "02_dynamic_programming"),  # nothing else to go by
        ("./02_dynamic_programming.ipynb", "02_dynamic_programming"),
        ("-rf.ipynb", "-rf"),
        ("class/-rf_02_dynamic_programming.ipynb", "-rf"),
        ("al\nice_02_dynamic_programming.ipynb", "al\nice"),  # raw: printing makes it safe
        ("\x1b[2J_02_dynamic_programming.ipynb", "\x1b[2J"),
        ("=HYPERLINK(x)_02_dynamic_programming.ipynb", "=HYPERLINK(x)"),
        (Path("niaj") / "02_dynamic_programming.ipynb", "niaj"),
    ],
)
def test_student_name_default_rule(path, name):
    assert student_name(path) == (name, None)


def test_chapter_topics_agree_with_the_repository():
    notebooks = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert notebooks, "no notebooks/NN_topic.ipynb to compare with"
    for nb in notebooks:
        chapter, topic = nb.stem.split("_", 1)
        assert CHAPTER_TOPICS.get(chapter) == topic, nb.name


def test_student_name_with_a_pattern():
    path = "export/42-oscar/submission/02_dynamic_programming.ipynb"
    assert student_name(path, pattern=r"export/\d+-(?P<student>\w+)/") == ("oscar", None)
    assert student_name(path, pattern=r"export/\d+-(\w+)/") == ("oscar", None)  # group 1
    assert student_name(path, pattern=r"oscar") == ("oscar", None)  # the whole match
    name, flag = student_name(path, pattern=r"^peggy/(\w+)")
    assert name == "submission" and "did not match" in flag and "^peggy/" in flag
    name, flag = student_name("trent_02_dynamic_programming.ipynb", pattern=r"x*")
    assert name == "trent" and "empty" in flag


def test_student_name_bad_pattern_quotes_the_regex_and_the_error():
    with pytest.raises(ValueError) as info:
        student_name("a.ipynb", pattern="(?P<student>[a-z")
    message = str(info.value)
    assert "(?P<student>[a-z" in message
    try:
        re.compile("(?P<student>[a-z")
    except re.error as exc:
        assert str(exc) in message


# --- shards ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [("2/5", (2, 5)), (" 1 / 1 ", (1, 1)), ("7/7", (7, 7))])
def test_parse_shard(text, expected):
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0", "-1/3", "1/2/3", ""])
def test_parse_shard_errors_say_the_form(text):
    with pytest.raises(ValueError, match=r"K/N|K must be between 1 and N"):
        parse_shard(text)


NAMES = [f"class/student{i:03d}_0{i % 5 + 1}_x.ipynb" for i in range(190)] + [
    "-rf.ipynb",
    "al\nice.ipynb",
    "\x1b[2J.ipynb",
    "alice\u202egnp.ipynb",
    "jos\u00e9.ipynb",
    os.fsdecode(b"bad\xff.ipynb"),
    "a b/c d.ipynb",
    "=cmd.ipynb",
    "./dot.ipynb",
    "deep/er/still/x.ipynb",
]


def test_shards_partition_every_name_exactly_once():
    assert len(NAMES) == 200
    for n in range(1, 8):
        shares = {k: [p for p in NAMES if in_shard(p, k, n)] for k in range(1, n + 1)}
        counted = sorted(p for share in shares.values() for p in share)
        assert counted == sorted(NAMES)  # each name in exactly one shard
        assert all(share for share in shares.values())  # no shard idle with 200 names
        again = {k: [p for p in NAMES if in_shard(p, k, n)] for k in range(1, n + 1)}
        assert again == shares


def test_shards_are_the_same_in_another_python_process():
    """Another interpreter with another hash seed puts every name in the same shard (no hash())."""
    here = {n: [shard_of(p, n) for p in NAMES] for n in range(1, 8)}
    code = (
        "import json, sys, os\n"
        "from rlcourse.grading.classroom import shard_of\n"
        "names = [os.fsdecode(bytes.fromhex(h)) for h in json.load(sys.stdin)]\n"
        "print(json.dumps({n: [shard_of(p, n) for p in names] for n in range(1, 8)}))\n"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps([os.fsencode(p).hex() for p in NAMES]),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    there = {int(n): v for n, v in json.loads(out).items()}
    assert there == here


def test_in_shard_argument_errors():
    with pytest.raises(ValueError):
        in_shard("a.ipynb", 0, 3)
    with pytest.raises(ValueError):
        in_shard("a.ipynb", 4, 3)
    with pytest.raises(ValueError):
        shard_of("a.ipynb", 0)


# --- documents: a class graded in one run ------------------------------------------------------

ITEMS = {  # declaration order in each chapter (as the items modules declare them)
    "02": [("02.policy_evaluation", 4.0), ("02.q_from_v", 3.0), ("02.value_iteration", 3.0)],
    "03": [("03.td0_update", 2.0), ("03.mc_update", 2.0)],
}


def _notebook(path, chapter, points, *, student=None, fingerprint=None, flags=(), errors=()):
    items = [
        {
            "item": item,
            "function": item.split(".")[1],
            "points": p,
            "max_points": m,
            "status": "pass" if p == m else "partial" if p > 0 else "fail",
            "message": "",
            "tests": [],
            "flags": [],
        }
        for (item, m), p in zip(ITEMS[chapter], points)
    ]
    entry = {
        "notebook": path,
        "chapter": chapter,
        "points": sum(points),
        "max_points": sum(m for _, m in ITEMS[chapter]),
        "items": items,
        "errors": list(errors),
        "cells": [],
        "restarts": 0,
        "seconds": 1.5,
        "flags": list(flags),
        "fingerprint": fingerprint,
    }
    if student is not None:
        entry["student"] = student
    return entry


def _document(notebooks, **settings):
    doc = {"format": "rlcourse-grades", "version": 1, "timeout": 60.0, **settings}
    doc["notebooks"] = notebooks
    doc["identical_submissions"] = identical_groups(notebooks)
    return doc


@pytest.fixture(scope="module")
def class_notebooks():
    """A class of 24 notebooks in path order (the order one run over the folder grades them),
    with two pairs of identical submissions."""
    nbs = []
    for i in range(20):
        chapter = "02" if i % 3 else "03"
        n = len(ITEMS[chapter])
        points = [round((i * (k + 1)) % 4 / 2, 2) for k in range(n)]
        nbs.append(_notebook(f"class/s{i:02d}_{chapter}_x.ipynb", chapter, points))
    nbs[3]["fingerprint"] = nbs[17]["fingerprint"] = "f" * 64
    nbs[5]["fingerprint"] = nbs[6]["fingerprint"] = "e" * 64
    nbs[7]["fingerprint"] = "d" * 64  # a fingerprint nobody shares
    nbs[8]["items"][0]["flags"] = ["imported, not written in the notebook"]
    nbs.sort(key=lambda nb: nb["notebook"])
    return nbs


# --- merge -------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 5])
def test_merging_the_shards_gives_the_document_of_one_run(class_notebooks, n):
    full = _document(copy.deepcopy(class_notebooks))
    assert [len(g) for g in full["identical_submissions"]] == [2, 2]
    shards = []
    for k in range(1, n + 1):
        mine = [nb for nb in copy.deepcopy(class_notebooks) if in_shard(nb["notebook"], k, n)]
        shards.append(_document(mine, shard=f"{k}/{n}"))
    split = [g for g in full["identical_submissions"] if len({shard_of(p, n) for p in g}) > 1]
    assert split, "no identical pair spans two shards: the test would not prove the recompute"
    merged = merge_documents(list(reversed(shards)), [f"s{k}.json" for k in range(n, 0, -1)])
    assert merged == full


def test_identical_submissions_found_across_shards(class_notebooks):
    pair = [nb for nb in class_notebooks if nb["fingerprint"] == "f" * 64]
    a, b = (copy.deepcopy(nb) for nb in pair)
    merged = merge_documents([_document([a]), _document([b])], ["a.json", "b.json"])
    assert merged["identical_submissions"] == [sorted([a["notebook"], b["notebook"]])]
    assert _document([a])["identical_submissions"] == []


def test_merge_refuses_a_notebook_graded_differently_twice(class_notebooks):
    one = copy.deepcopy(class_notebooks[0])
    other = copy.deepcopy(one)
    other["items"][0]["points"] += 1
    with pytest.raises(ValueError) as info:
        merge_documents([_document([one]), _document([other])], ["run1.json", "run2.json"])
    message = str(info.value)
    assert one["notebook"] in message and "run1.json" in message and "run2.json" in message
    with pytest.raises(ValueError, match="twice.json"):
        merge_documents([_document([one, other])], ["twice.json"])


def test_merge_keeps_one_of_two_identical_entries(class_notebooks):
    one = copy.deepcopy(class_notebooks[0])
    again = copy.deepcopy(one)
    again["seconds"] = 99.0  # graded twice: only the timing differs
    merged = merge_documents([_document([one]), _document([again])], ["a.json", "b.json"])
    assert merged["notebooks"] == [one]


@pytest.mark.parametrize(
    "change, words",
    [
        ({"format": "something-else"}, "not a grades file"),
        ({"format": None}, "not a grades file"),
        ({"version": 99}, "version 99"),
        ({"version": None}, "version"),
        ({"notebooks": "nope"}, "damaged"),
    ],
)
def test_merge_refuses_what_is_not_a_grades_document(class_notebooks, change, words):
    good = _document(copy.deepcopy(class_notebooks[:1]))
    bad = {**_document(copy.deepcopy(class_notebooks[1:2])), **change}
    with pytest.raises(ValueError, match=words) as info:
        merge_documents([good, bad], ["good.json", "shard-2.json"])
    assert "shard-2.json" in str(info.value)
    with pytest.raises(ValueError, match="not a grades file"):
        merge_documents([good, ["a", "list"]], ["good.json", "list.json"])  # type: ignore[list-item]


def test_merge_flags_settings_that_differ_and_drops_per_run_keys(class_notebooks):
    a = _document(copy.deepcopy(class_notebooks[:2]), shard="1/2", memory="4G")
    b = _document(copy.deepcopy(class_notebooks[2:4]), shard="2/2", memory="4G")
    b["timeout"] = 30.0
    merged = merge_documents([a, b], ["a.json", "b.json"])
    assert "shard" not in merged and merged["memory"] == "4G"
    assert merged["timeout"] == 60.0
    assert len(merged["flags"]) == 1
    flag = merged["flags"][0]
    assert "timeout" in flag and "a.json: 60.0" in flag and "b.json: 30.0" in flag
    same = merge_documents([a, {**b, "timeout": 60.0}], ["a.json", "b.json"])
    assert "flags" not in same


def test_merge_argument_errors():
    with pytest.raises(ValueError, match="at least one"):
        merge_documents([], [])
    with pytest.raises(ValueError, match="one per file"):
        merge_documents([_document([])], [])


# --- load_document -----------------------------------------------------------------------------


def test_load_document(tmp_path, class_notebooks):
    doc = _document(copy.deepcopy(class_notebooks[:3]))
    good = tmp_path / "shard1.json"
    good.write_text(json.dumps(doc), encoding="utf-8")
    assert load_document(good) == doc
    cases = {
        "notjson.json": "{not json",
        "list.json": "[1, 2]",
        "other.json": json.dumps({"format": "nbformat", "cells": []}),
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(GradesFileError, match=re.escape(name)) as info:
            load_document(tmp_path / name)
        assert "not a grades file" in str(info.value)
    with pytest.raises(GradesFileError, match="missing.json"):
        load_document(tmp_path / "missing.json")


@pytest.mark.skipif(os.name != "posix", reason="FIFO")
def test_load_document_refuses_a_fifo_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    box: dict = {}
    t = threading.Thread(target=lambda: box.setdefault("r", _catch(load_document, fifo)))
    t.daemon = True
    t.start()
    t.join(10)
    if t.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("load_document blocked on a FIFO")
    assert isinstance(box["r"], GradesFileError) and "pipe.json" in str(box["r"])


def _catch(fn, *args):
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - handed to the test
        return exc


# --- CSV ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gradebook_document():
    third = 1 / 3
    nbs = [
        _notebook("class/zed_03_mc_td_prediction.ipynb", "03", [2.0, 1.0]),
        _notebook("class/alice_02_dynamic_programming.ipynb", "02", [4.0, 2.675, 0.125]),
        _notebook("class/alice_03_mc_td_prediction.ipynb", "03", [1.0, 0.0]),
        _notebook("class/Bob_02_dynamic_programming.ipynb", "02", [1.0, 3.0, 0.0], fingerprint="f"),
        _notebook("class/Bob_02_dynamic_programming (1).ipynb", "02", [2.0, 1.0, 0.0]),
        _notebook(
            "class/=HYPERLINK(evil)_02_dynamic_programming.ipynb",
            "02",
            [third, third, third],
            flags=["metadata claims chapter 05; graded as 02"],
        ),
        _notebook("class/-rf_02_dynamic_programming.ipynb", "02", [0, 0, 0], fingerprint="f"),
        _notebook("x.ipynb", "02", [0, 0, 0], student="@SUM(A1)"),
        _notebook("y.ipynb", "02", [0, 0, 0], student="+1 tab\there"),
        _notebook("z.ipynb", "02", [0, 0, 0], student="al\nice\x1b[2J\u202e"),
        _notebook("w.ipynb", "02", [0, 0, 0], student="\rcr", errors=["=cmd|' /C calc'!A0"]),
    ]
    nbs[1]["items"][1]["flags"] = ["calls rlcourse.mdp.q_from_v"]
    return _document(nbs)


def test_csv_table(gradebook_document):
    table = csv_table(gradebook_document)
    header = table[0]
    items = [
        "02.policy_evaluation",
        "02.q_from_v",
        "02.value_iteration",
        "03.td0_update",
        "03.mc_update",
    ]
    assert header == ["student", "notebooks", *items, "total", "max", "flags"]
    rows = {row[0]: dict(zip(header, row)) for row in table[1:]}
    assert [row[0] for row in table[1:]] == [
        "\\rcr",
        "'+1 tab here",
        "'-rf",
        "'=HYPERLINK(evil)",
        "'@SUM(A1)",
        "al\\nice\\x1b[2J\\u202e",
        "alice",
        "Bob",
        "zed",
    ]  # sorted by name, case-insensitive; each cell printable and never a formula

    alice = rows["alice"]
    assert alice["notebooks"] == (
        "class/alice_02_dynamic_programming.ipynb; class/alice_03_mc_td_prediction.ipynb"
    )
    assert [alice[i] for i in items] == ["4.00", "2.68", "0.13", "1.00", "0.00"]
    assert alice["total"] == "7.81" and alice["max"] == "14.00"  # 4 + 2.68 + 0.13 + 1 + 0
    assert "02.q_from_v: calls rlcourse.mdp.q_from_v" in alice["flags"]

    bob = rows["Bob"]  # two submissions of chapter 02: the better score of each item
    assert [bob[i] for i in items] == ["2.00", "3.00", "0.00", "", ""]
    assert bob["total"] == "5.00" and bob["max"] == "10.00"
    for item in ("02.policy_evaluation", "02.q_from_v", "02.value_iteration"):
        assert f"{item} graded in 2 notebooks" in bob["flags"]
    assert "better score is kept" in bob["flags"]
    assert "identical to class/-rf_02_dynamic_programming.ipynb" in bob["flags"]
    assert "identical to class/Bob_02_dynamic_programming.ipynb" in rows["'-rf"]["flags"]

    zed = rows["zed"]
    assert [zed[i] for i in items] == ["", "", "", "2.00", "1.00"]
    assert zed["total"] == "3.00" and zed["max"] == "4.00"

    evil = rows["'=HYPERLINK(evil)"]
    assert [evil[i] for i in items[:3]] == ["0.33", "0.33", "0.33"]
    assert evil["total"] == "0.99"  # the sum of the cells as written, as a spreadsheet sums
    assert evil["flags"] == "metadata claims chapter 05; graded as 02"  # one notebook: no file
    assert alice["flags"] == (
        "alice_02_dynamic_programming.ipynb: 02.q_from_v: calls rlcourse.mdp.q_from_v"
    )  # two notebooks: the flag says which


def test_csv_cells_are_never_formulas_or_control_characters(gradebook_document):
    table = csv_table(gradebook_document)
    for row in table:
        for cell in row:
            assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", cell), cell
            if re.fullmatch(r"-?\d+\.\d\d", cell):
                continue  # a number we wrote
            assert not cell.lstrip(" ").startswith(("=", "+", "-", "@")), cell


def test_csv_flags_with_a_formula_are_neutralised():
    doc = _document(
        [_notebook("only.ipynb", "02", [0, 0, 0], student="s", flags=["=cmd|' /C calc'!A0"])]
    )
    flags = csv_table(doc)[1][-1]
    assert flags == "'=cmd|' /C calc'!A0"


def test_write_csv(tmp_path, gradebook_document):
    out = tmp_path / "grades" / "class.csv"
    write_csv(out, gradebook_document)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    with open(out, encoding="utf-8-sig", newline="") as f:
        assert list(csv.reader(f)) == csv_table(gradebook_document)
    assert len(raw.split(b"\r\n")) == len(csv_table(gradebook_document)) + 1  # one line a row
    assert os.listdir(out.parent) == ["class.csv"]  # no temporary file left

    before = out.read_bytes()
    with pytest.raises(ValueError):
        write_csv(out, {"format": "nope"})
    assert out.read_bytes() == before  # a failed write leaves the old file whole
    assert os.listdir(out.parent) == ["class.csv"]


def test_csv_of_an_old_document_takes_names_from_the_paths(class_notebooks):
    doc = _document(copy.deepcopy(class_notebooks[:2]))
    for nb in doc["notebooks"]:
        nb.pop("student", None)
        nb.pop("flags", None)
    names = [row[0] for row in csv_table(doc)[1:]]
    assert names == sorted(student_name(nb["notebook"])[0] for nb in doc["notebooks"])


# --- Progress ----------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    p = Progress(2, stream=stream)
    p.start("class/alice_02.ipynb")
    p.start("class/\x1b[2J\u202e.ipynb")
    assert stream.getvalue() == ""
    p.finish("class/alice_02.ipynb", 7.5, 10, 3.21)
    p.finish("class/\x1b[2J\u202e.ipynb", 2 / 3, 10.0, 1.0)
    p.close()
    lines = stream.getvalue().split("\n")
    assert lines == [
        "[1/2] class/alice_02.ipynb 7.5/10 (3.2 s)",
        "[2/2] class/\\x1b[2J\\u202e.ipynb 0.67/10 (1.0 s)",
        "",
    ]


def test_progress_one_redrawn_line_on_a_terminal():
    stream = _Terminal()
    p = Progress(40, stream=stream)
    for i in range(12):
        p.start(f"s{i}.ipynb")
    for i in range(10):
        p.finish(f"s{i}.ipynb", 5, 10, 1.0)
    p.start("class/alice_02.ipynb")
    p.finish("class/alice_02.ipynb", 7.5, 10, 2.0)
    text = stream.getvalue()
    assert "\n" not in text
    last = text.split("\r")[-1].rstrip(" ")
    assert last == "[11/40] 27%  2 running  last: alice_02.ipynb 7.5/10"
    p.start("evil\x1b]0;owned\x07\u202e.ipynb")
    p.finish("evil\x1b]0;owned\x07\u202e.ipynb", None, 10, None)
    text = stream.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert text.split("\r")[-1].rstrip(" ").endswith("?/10")
    p.close()
    assert stream.getvalue().endswith("\n")


def test_progress_never_raises():
    class Broken:
        def isatty(self):
            raise OSError("gone")

        def write(self, text):
            raise OSError("disk full")

        def flush(self):
            raise OSError("disk full")

    for stream in (Broken(), _Terminal()):
        p = Progress(0, stream=stream)
        p.start(object())
        p.finish("x", "not a number", math.nan, "slow")
        p.finish("never started", 1, 1, 1)
        p.close()
    term = _Terminal()
    p = Progress(1, stream=term)
    term.isatty = lambda: True
    term.write = lambda text: (_ for _ in ()).throw(OSError("closed"))
    p.start("a")
    p.finish("a", 1, 1, 1)
    p.close()
