"""The study on a Dask cluster through joblib's dask backend (workers on loopback)."""

import joblib
import pytest
import torch
from distributed import Client, LocalCluster, get_task_stream
from threadpoolctl import threadpool_limits

from skae._cli import main
from skae.studies import run_learning_curve

PIPELINES = ["sparse_ae_mnist", "raw_pixels_logreg"]


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def test_workers_use_one_torch_thread_each(client):
    """Dask's nanny sets OMP_NUM_THREADS=1: two workers do not fight over two cores."""
    assert set(client.run(torch.get_num_threads).values()) == {1}


def test_study_on_dask_matches_a_local_run(client, tmp_path):
    with joblib.parallel_config(backend="dask"), get_task_stream(client) as tasks:
        on_dask = run_learning_curve(
            "tiny", out=tmp_path / "dask", pipelines=PIPELINES, n_jobs=-1, verbose=0
        )
    threads = torch.get_num_threads()
    try:  # like the workers: one thread (sums in another order move an image on some BLAS)
        torch.set_num_threads(1)
        with threadpool_limits(1):
            local = run_learning_curve(
                "tiny", out=tmp_path / "local", pipelines=PIPELINES, verbose=0
            )
    finally:
        torch.set_num_threads(threads)
    key = ("pipeline", "train_size", "repeat", "test_accuracy", "full_test_accuracy")
    assert [[row[k] for k in key] for row in on_dask] == [[row[k] for k in key] for row in local]
    assert len(tasks.data) >= len(local)  # the cells really ran on the cluster


def test_cli_dask_switch(client, tmp_path, capsys):
    address = client.scheduler.address
    args = ["learning-curve", "--profile", "tiny", "--out", str(tmp_path), "--no-figures"]
    assert main([*args, "--pipelines", *PIPELINES, "--n-jobs", "-1", "--dask", address]) == 0
    printed = capsys.readouterr().out
    assert f"running on <Client: '{address}'" in printed
    assert "raw_pixels_logreg" in printed
