"""The bench's notes: the machine's speed beside the six-township targets' absolute seconds."""

from __future__ import annotations

from typing import Any

from bench.report import REFERENCE_LOOP_SECONDS, extra_lines, loop_seconds


def _results(loop: float | None, before: float | None = None, **prefect: float) -> dict[str, Any]:
    machine: dict[str, float] = {} if loop is None else {"loop_seconds": loop}
    if before is not None:
        machine["loop_seconds_prefect"] = before
    return {"lines": [], "machine": machine, "prefect": prefect}


def test_a_slow_machine_is_said_and_an_over_target_is_scaled_not_passed() -> None:
    lines = extra_lines(
        _results(2 * REFERENCE_LOOP_SECONDS, warm_median=3.0, warm_rerun_median=1.2)
    )
    assert lines[0].startswith("machine: a Python loop of 10^7 additions 1.16 s at the start (")
    warm = next(x for x in lines if x.startswith("six townships, warm flow call, first run"))
    assert warm == (
        "six townships, warm flow call, first run: 3.00 s (OVER 1.5 s); "
        "≈ 1.50 s at the reference machine's speed (2.00× slower here by the loop)"
    )
    rerun = next(x for x in lines if x.startswith("six townships, warm flow call, re-run"))
    assert rerun == "six townships, warm flow call, re-run: 1.20 s (within 1.5 s)"


def test_without_the_machine_loop_the_notes_are_as_before() -> None:
    lines = extra_lines(_results(None, warm_median=3.0))
    assert not any(x.startswith("machine:") for x in lines)
    assert "six townships, warm flow call, first run: 3.00 s (OVER 1.5 s)" in lines


def test_the_loop_is_timed() -> None:
    seconds = loop_seconds(repeat=1)
    assert 0.05 < seconds < 60


def test_the_loop_before_the_month_scales_it() -> None:
    """The machine's speed can change within a run: the loop timed just before the
    six-township month scales it."""
    ref = REFERENCE_LOOP_SECONDS
    lines = extra_lines(_results(ref, 4 * ref, warm_median=6.0))
    assert ", 2.32 s before the six-township month" in lines[0]
    warm = next(x for x in lines if x.startswith("six townships, warm flow call, first run"))
    assert warm.endswith(
        "≈ 1.50 s at the reference machine's speed (4.00× slower here by the loop)"
    )
