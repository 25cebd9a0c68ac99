"""Typed flow parameters: the UI's run form and the API check the pattern before a run starts."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

# YYYY-MM, a real month
Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
