"""The ``rlcourse`` command (placeholder)."""
def main(argv=None):
    raise SystemExit("rlcourse: not yet")
