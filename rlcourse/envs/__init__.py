"""Environments of the course (placeholder until MineGrid lands)."""
