"""``python -m rlcourse.grading.worker``: grade one notebook in a process of its own.

The scheduler (:mod:`rlcourse.grading.batch`) starts one worker per notebook, writes the job
(JSON) to its stdin and reads the :class:`~rlcourse.grading.grader.NotebookResult` (JSON) from
its stdout. A worker is the grader's side for that notebook: it holds the tests and the
verdicts, and it is the parent of the student's kernel. It makes itself the reaper of orphaned
descendants (Linux), so that when it ends nothing the submission started is left running,
even processes that left the kernel's process group. SIGTERM stops it cleanly (the kernel is
shut down on the way out).
"""

from __future__ import annotations

import json
import signal
import sys
from dataclasses import asdict
from typing import Any


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run_job(job: dict) -> dict:
    """Grade the notebook ``job`` describes; the result as a JSON-able dict."""
    from rlcourse.grading.grader import grade_notebook
    from rlcourse.grading.sandbox import Limits

    result = grade_notebook(
        job["path"],
        float(job["timeout"]),
        job.get("chapter"),
        notebook_timeout=float(job["notebook_timeout"]),
        isolation=job["isolation"],
        limits=Limits(**job["limits"]),
        student=job.get("student", ""),
    )
    return asdict(result)


def main() -> int:
    from rlcourse.grading.kernel import become_subreaper, kill_descendants

    signal.signal(signal.SIGTERM, _stop)
    out = sys.stdout
    sys.stdout = sys.stderr  # only the result goes to the real stdout
    become_subreaper()
    try:
        result = run_job(json.loads(sys.stdin.read()))
    except KeyboardInterrupt:
        return 130
    finally:
        kill_descendants()
    out.write(json.dumps(result, ensure_ascii=True))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
