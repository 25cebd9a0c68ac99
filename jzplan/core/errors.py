"""Errors for the operator: a broken environment or a bad parameter, one Chinese line each."""

from __future__ import annotations


class OperatorError(RuntimeError):
    """Stops a run before it does anything: a stable English ``code`` and one Chinese line
    saying what is wrong and what to do (shown as is, no traceback needed)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
