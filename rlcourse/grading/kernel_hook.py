"""The grader's side inside a student's kernel: look a name up, call a function, send data back.

All this module does in the student's process is the *call* half of a graded test
(:func:`rlcourse.grading.calls.invoke`): the tests, the reference values, the registry and the
verdicts stay in the grader's process. The grader executes

- ``describe(globals(), name, nonce)``: what the notebook bound to an item's name (whether it
  is callable, its signature, module and file, for the flags);
- ``serve(globals(), name, request, nonce, time_limit)``: one call (or one ``repeat``) of the
  student's function on the arguments in ``request`` (wire JSON text).

Each answer travels as a ``display_data`` message of MIME type :data:`RESULT_MIME` whose
payload holds the request's random ``nonce`` and the answer as wire JSON text. Student code
can replace this module or forge such a message; all it can send is data, which the grader
validates and judges.
"""

from __future__ import annotations

RESULT_MIME = "application/vnd.rlcourse.grade+json"


def _publish(nonce: str, body: str) -> None:
    from IPython.display import publish_display_data

    publish_display_data({RESULT_MIME: {"nonce": nonce, "body": body}, "text/plain": "<call>"})


def describe(namespace: dict, name: str, nonce: str) -> None:
    """Publish what ``namespace[name]`` is (see :func:`rlcourse.grading.calls.describe`)."""
    import json

    from rlcourse.grading.calls import describe as facts

    try:
        body = json.dumps(facts(namespace[name]) if name in namespace else {"exists": False})
    except Exception as exc:  # noqa: BLE001 - an odd object must still get an answer
        body = json.dumps({"exists": True, "callable": False, "type": type(exc).__name__})
    _publish(nonce, body)


def serve(namespace: dict, name: str, request: str, nonce: str, time_limit: float | None) -> None:
    """Call ``namespace[name]`` as ``request`` says and publish the response."""
    from rlcourse.grading.calls import invoke

    _publish(nonce, invoke(namespace.get(name), request, time_limit))
