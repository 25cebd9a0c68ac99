"""The soak runs the real monthly flow: the session's Prefect test server of the flow tests."""

from tests.flows.conftest import prefect_server  # noqa: F401  # autouse, session scope
