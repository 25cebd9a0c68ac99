"""Read the artifacts one flow run published: by its flow run id, never by key alone (a key is
shared by every run of the same month on the session's test server)."""

from __future__ import annotations

from typing import Any

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
)
from prefect.client.schemas.objects import Artifact
from prefect.client.schemas.sorting import ArtifactSort
from prefect.states import State


def run_artifacts(state: State[Any], *keys: str) -> dict[str, Artifact]:
    """The newest artifact of each key that the run behind ``state`` created."""
    run_id = state.state_details.flow_run_id
    assert run_id is not None, "a flow run's final state carries its run id"
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=list(keys)),
                flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]),
            ),
            sort=ArtifactSort.CREATED_DESC,
        )
    newest: dict[str, Artifact] = {}
    for artifact in found:
        if artifact.key is not None:
            newest.setdefault(artifact.key, artifact)
    return newest
