"""The batch workflow on the cluster: one mapped task per inbox file, run by Celery."""

from __future__ import annotations

from devtools.samples import fill_inbox
from tests.cluster.conftest import RunningCluster


def test_batch_workflow_maps_one_task_per_file_on_the_celery_worker(
    cluster: RunningCluster,
) -> None:
    folder = cluster.started.inbox / "batch-cluster"
    good, broken = fill_inbox(folder, 6, corrupt=1, batch="cluster")
    run_id = cluster.api.trigger("batch_ingestion", {"inbox": str(folder), "settle_seconds": 0})
    assert cluster.api.wait("batch_ingestion", [run_id]) == {run_id: "success"}
    states = cluster.api.mapped_states("batch_ingestion", run_id, "ingest")
    assert states == {**{n: "success" for n in good}, broken[0]: "failed"}
    assert sorted(p.name for p in (folder / "processed").iterdir()) == sorted(good)
    assert (folder / "quarantine" / f"{broken[0]}.reason.txt").exists()
    digest = cluster.api.result("batch_ingestion", run_id, "batch_digest")
    assert digest["summary_count"] == len(good)
