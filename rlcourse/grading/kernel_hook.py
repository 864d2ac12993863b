"""The grader's side inside a student's kernel: run one item and send the result back.

The grader executes ``grade_in_kernel(item_id, function, nonce, namespace, time_limit)`` after
the student's cells. The result travels as a ``display_data`` message with the MIME type
:data:`RESULT_MIME`, whose payload carries the per-run random ``nonce`` that the grader only
reveals after the student's code has run; printing text cannot produce such a message, and an
old or forged payload carries the wrong nonce.
"""

from __future__ import annotations

RESULT_MIME = "application/vnd.rlcourse.grade+json"


def grade_in_kernel(
    item_id: str, function: str, nonce: str, namespace: dict, time_limit: float | None
) -> None:
    from rlcourse.grading.check import run_item
    from rlcourse.grading.registry import get_item

    try:
        it = get_item(item_id)
        report = run_item(it, namespace.get(function), time_limit)
        payload = report.to_dict()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - the grader must get an answer
        payload = {"item": item_id, "error": f"{type(exc).__name__}: {exc}"[:1000]}
    payload["nonce"] = nonce
    from IPython.display import publish_display_data

    publish_display_data({RESULT_MIME: payload, "text/plain": f"<grading result {item_id}>"})
