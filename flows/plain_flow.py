"""The ``flow`` decorator of this project's flows: Prefect's, whose flow runs store plain
parameters without importing fastapi.

To create a flow run, Prefect serializes its parameters with ``fastapi.encoders.
jsonable_encoder``, imported there and then (``prefect.flows.Flow.serialize_parameters``).
No other part of a client run imports fastapi, and importing it (with starlette) costs a new
process 0.22-0.28 s on the 2-core machine once the pipeline is imported, on the critical path
of every ``jzplan run`` and every flow a new process calls. Every parameter of our flows is a
string, a number, a boolean or None (a period, a folder, a count), which that encoder returns
as it is: a flow run whose parameters are all of those types stores them as they are, and
any other parameter goes through Prefect's own serialization, fastapi and all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import Flow

P = ParamSpec("P")
R = TypeVar("R")

# exact types: a subclass (an Enum on str, a bool-like) goes to Prefect's encoder
_PLAIN: frozenset[type] = frozenset({str, int, float, bool, type(None)})


class PlainParameterFlow(Flow[P, R]):
    """A Prefect ``Flow`` that serializes plain parameters without fastapi (module doc)."""

    def serialize_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        if all(type(value) in _PLAIN for value in parameters.values()):
            return dict(parameters)
        return super().serialize_parameters(parameters)


def flow(**options: Any) -> Callable[[Callable[P, R]], Flow[P, R]]:
    """``prefect.flow(**options)`` making a ``PlainParameterFlow``."""

    def decorate(fn: Callable[P, R]) -> Flow[P, R]:
        return PlainParameterFlow(fn, **options)

    return decorate
