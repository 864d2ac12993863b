"""Grading a class: one worker process per notebook, N at a time, results kept safe.

:func:`grade_notebooks` runs :mod:`rlcourse.grading.worker` for each notebook (``jobs`` at
once; the results are the same as a serial run's, in the order the notebooks were given),
keeps every result in memory and rewrites ``out`` atomically after each notebook. If ``out``
cannot be written the run goes on and the results go to a fallback file, whose path is printed.
A worker that dies or overruns its budget costs only its notebook (an error result). SIGINT and
SIGTERM stop the run cleanly: running workers (and their kernels) are stopped, every finished
result is written, and :class:`Stopped` carries them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rlcourse.grading.grader import (
    DEFAULT_NOTEBOOK_TIMEOUT,
    DEFAULT_TIMEOUT,
    NotebookResult,
    result_from_dict,
    results_document,
    write_json_atomic,
)

WORKER_MARGIN = 120.0
"""Seconds a worker gets beyond the notebook's budget before it is killed."""


class Stopped(Exception):
    """The run was stopped by SIGINT/SIGTERM; ``results`` holds the notebooks finished."""

    def __init__(self, results: list[NotebookResult], signum: int):
        super().__init__(f"stopped by signal {signum}")
        self.results, self.signum = results, signum


def _error_result(path: str, student: str, message: str) -> NotebookResult:
    return NotebookResult(str(path), None, 0.0, 0.0, errors=[message], student=student)


class _Workers:
    """The worker processes running now (so a signal can stop them all)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: set[subprocess.Popen] = set()
        self.stopping = False

    def run(self, job: dict, budget: float) -> NotebookResult:
        env = dict(os.environ)
        env.setdefault("RLCOURSE_QUICK", "1")  # the notebooks' demo budgets, not the tests'
        with self.lock:
            if self.stopping:
                return _error_result(job["path"], job["student"], "not graded: the run stopped")
            proc = subprocess.Popen(
                [sys.executable, "-m", "rlcourse.grading.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # a Ctrl-C on the terminal reaches the scheduler only
                env=env,
            )
            self.running.add(proc)
        try:
            out, err = proc.communicate(json.dumps(job).encode(), timeout=budget)
        except subprocess.TimeoutExpired:
            self.stop(proc)
            proc.communicate()
            return _error_result(
                job["path"],
                job["student"],
                f"grading took longer than {budget:g} s and was stopped (internal limit)",
            )
        finally:
            with self.lock:
                self.running.discard(proc)
        if proc.returncode == 0:
            try:
                return result_from_dict(json.loads(out.decode("utf-8")))
            except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
                problem = f"unreadable result ({type(exc).__name__})"
        else:
            problem = f"exit status {proc.returncode}"
        tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
        return _error_result(
            job["path"],
            job["student"],
            f"internal grader error ({problem}): " + " | ".join(tail)[-400:],
        )

    @staticmethod
    def stop(proc: subprocess.Popen, grace: float = 5.0) -> None:
        """SIGTERM the worker's process group, SIGKILL it after ``grace`` seconds."""
        for sig, wait_s in ((signal.SIGTERM, grace), (signal.SIGKILL, None)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
            if wait_s is None:
                break
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=wait_s)
                return

    def stop_all(self) -> None:
        with self.lock:
            self.stopping = True
            running = list(self.running)
        threads = [threading.Thread(target=self.stop, args=(p,)) for p in running]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


class ResultsFile:
    """``--out``: rewritten atomically after every notebook; a fallback when it cannot be."""

    def __init__(self, path: str | os.PathLike | None, warn: Callable[[str], None]):
        self.path = None if path is None else Path(path)
        self.warn = warn
        self.fallback: Path | None = None

    def write(self, document: dict) -> Path | None:
        """Write ``document``; the path written (None when there is nowhere to write)."""
        if self.path is None:
            return None
        target = self.fallback or self.path
        try:
            write_json_atomic(target, document)
            return target
        except OSError as exc:
            if self.fallback is not None:
                self.warn(f"cannot write the results to {target} either: {exc}")
                return None
            self.fallback = fallback_path()
            self.warn(
                f"cannot write the results to {self.path} ({exc.strerror or exc}); "
                f"writing them to {self.fallback} instead"
            )
            return self.write(document)


def fallback_path(suffix: str = ".json") -> Path:
    """Where results go when the path asked for cannot be written: a new file in the current
    folder, else in the temp folder."""
    name = f"rlcourse-grades-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}{suffix}"
    for folder in (Path.cwd(), Path(tempfile.gettempdir())):
        if os.access(folder, os.W_OK):
            return folder / name
    return Path(tempfile.gettempdir()) / name


def grade_notebooks(
    paths: list[str | os.PathLike],
    timeout: float = DEFAULT_TIMEOUT,
    chapter: str | None = None,
    out: str | os.PathLike | None = None,
    *,
    jobs: int = 1,
    notebook_timeout: float = DEFAULT_NOTEBOOK_TIMEOUT,
    isolation: str = "none",
    limits: Any = None,
    students: list[tuple[str, str | None]] | None = None,
    progress: Any = None,
    warn: Callable[[str], None] | None = None,
    settings: dict | None = None,
) -> list[NotebookResult]:
    """Grade every notebook (``jobs`` at once); the results in the order of ``paths``.

    ``out`` (JSON) is rewritten after every notebook. ``progress`` has ``start(name)`` and
    ``finish(name, points, max_points, seconds)`` (see :class:`rlcourse.grading.classroom.
    Progress`). Raises :class:`Stopped` (with the finished results, all written) on SIGINT or
    SIGTERM.
    """
    from rlcourse.grading.sandbox import Limits

    limits = limits or Limits()
    warn = warn or (lambda text: print(f"rlcourse grade: {text}", file=sys.stderr))
    students = students or [("", None)] * len(paths)
    budget = float(notebook_timeout) + WORKER_MARGIN
    job_list = [
        {
            "path": os.fspath(p),
            "timeout": float(timeout),
            "chapter": chapter,
            "notebook_timeout": float(notebook_timeout),
            "isolation": isolation,
            "limits": {k: v for k, v in asdict(limits).items() if k != "notebook_timeout"},
            "student": students[i][0],
        }
        for i, p in enumerate(paths)
    ]
    workers = _Workers()
    results: dict[int, NotebookResult] = {}
    sink = ResultsFile(out, warn)

    def finished_results() -> list[NotebookResult]:
        return [results[i] for i in sorted(results)]

    def document() -> dict:
        return results_document(finished_results(), timeout, **(settings or {}))

    caught: list[int] = []

    def on_signal(signum: int, frame: Any) -> None:
        caught.append(signum)
        raise KeyboardInterrupt

    handlers = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            handlers[sig] = signal.signal(sig, on_signal)
    pool = ThreadPoolExecutor(max_workers=max(1, int(jobs)))
    try:
        pending = {}
        queue = list(enumerate(job_list))
        queue.reverse()
        while queue or pending:
            while queue and len(pending) < max(1, int(jobs)):
                index, job = queue.pop()
                if progress is not None:
                    progress.start(job["path"])
                pending[pool.submit(workers.run, job, budget)] = index
            done, _ = wait(list(pending), timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                result = future.result()
                if students[index][1]:
                    result.flags.append(students[index][1])
                results[index] = result
                if progress is not None:
                    progress.finish(
                        result.notebook, result.points, result.max_points, result.seconds
                    )
                sink.write(document())
    except KeyboardInterrupt:
        signum = caught[0] if caught else signal.SIGINT
        for sig in handlers:  # a second Ctrl-C while stopping must not leave a traceback
            signal.signal(sig, signal.SIG_IGN)
        workers.stop_all()
        pool.shutdown(wait=True, cancel_futures=True)
        sink.write(document())
        raise Stopped(finished_results(), signum) from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        if progress is not None:
            progress.close()
    sink.write(document())
    return finished_results()
