"""The studies on their tiny profiles (seconds): results, resume, crash safety, the CLI."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.datasets import load_digits

from skae import ConvAETransformer, VAETransformer
from skae._base import TorchEstimator
from skae._cli import main
from skae.plots import plot_cnn_train_test, plot_head_losses, plot_learning_curves
from skae.studies import (
    PROFILES,
    StudyError,
    _learning_curve,
    fit_cached,
    format_summary,
    pretrain_autoencoders,
    run_few_labels,
    run_learning_curve,
    run_seed1,
    summarize,
)
from skae.studies._files import CellLog, locked

PIPELINES = ["sparse_ae_mnist", "cnn", "raw_pixels_logreg"]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    rows = run_learning_curve("tiny", out=out, pipelines=PIPELINES, verbose=0)
    return out, rows


@pytest.fixture
def no_training(monkeypatch):
    """Any torch fit fails the test: for runs that must only load and draw."""

    def fail(*args, **kwargs):
        raise AssertionError("a model was trained")

    monkeypatch.setattr(TorchEstimator, "_fit_net", fail)


def test_cells_and_tables(study):
    out, rows = study
    profile = PROFILES["tiny"]
    assert len(rows) == len(PIPELINES) * len(profile.train_sizes) * profile.n_repeats
    assert {row["pipeline"] for row in rows} == set(PIPELINES)
    assert all(0 <= row["test_accuracy"] <= 1 for row in rows)
    raw = summarize(rows)["raw_pixels_logreg"]
    assert raw[80][0] > 0.5  # logistic regression on 80 digits is far above chance
    assert (out / "learning_curve.csv").read_text().startswith("pipeline,train_size,repeat")
    assert len(json.loads((out / "learning_curve.json").read_text())) == len(rows)
    assert "sparse_ae_mnist" in format_summary(rows)
    assert any(row["loss_curve"] for row in rows if row["pipeline"] == "cnn")


def test_each_run_records_what_produced_it(study):
    out, rows = study
    [run] = CellLog(out / "runs.jsonl").read()
    assert {"skae", "torch", "sklearn", "skorch", "torch_threads", "device", "cpu"} <= set(run)
    assert {row["run"] for row in rows} == {run["run"]}


def test_only_the_chosen_pipelines_encoders_are_pretrained(study):
    out, _ = study
    cached = sorted(path.name.split("-")[0] for path in (out / "autoencoders").iterdir())
    assert cached == ["sparse_ae_mnist"]


def test_resume_recomputes_nothing(study, capsys, no_training):
    out, rows = study
    again = run_learning_curve("tiny", out=out, pipelines=PIPELINES, verbose=1)
    assert f"{len(rows)} cells already done, 0 to run" in capsys.readouterr().out
    assert [{**row, "run": None} for row in again] == [{**row, "run": None} for row in rows]


@pytest.mark.parametrize(
    ("run", "options", "match"),
    [
        (run_learning_curve, {"n_jobs": 0}, "n_jobs must be None .1. or a nonzero int"),
        (run_learning_curve, {"max_cells": 1.5}, "max_cells must be None or an int >= 0"),
        (run_few_labels, {"n_jobs": 0}, "n_jobs must be None .1. or a nonzero int"),
        (run_few_labels, {"n_jobs": 1.0}, "n_jobs must be None .1. or a nonzero int"),
        (run_few_labels, {"max_cells": -1}, "max_cells must be None or an int >= 0"),
        (run_seed1, {"n_jobs": 0}, "n_jobs must be None .1. or a nonzero int"),
        (pretrain_autoencoders, {"n_jobs": 1.5}, "n_jobs must be None .1. or a nonzero int"),
    ],
)
def test_run_options_out_of_range_fail_before_any_work(tmp_path, run, options, match):
    """``n_jobs=0`` (joblib has no meaning for it) and a negative or fractional cell budget
    are refused before anything is written (``max_cells=-1`` once dropped the last cell)."""
    with pytest.raises(StudyError, match=match):
        run("tiny", out=tmp_path / "out", verbose=0, **options)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("option", "message"),
    [(["--n-jobs", "0"], "0 workers"), (["--max-cells", "-1"], "must be >= 0")],
)
def test_command_line_refuses_run_options_out_of_range(tmp_path, option, message, capsys):
    with pytest.raises(SystemExit):  # argparse: before a Dask cluster would start
        main(["learning-curve", "--profile", "tiny", "--out", str(tmp_path / "out"), *option])
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_tables_only_with_nothing_finished_trains_nothing(tmp_path, capsys):
    """``max_cells=0`` rewrites the tables of finished cells; with none it once pretrained
    every autoencoder, wrote empty tables, then said it wrote nothing."""
    args = ["learning-curve", "--profile", "tiny", "--dataset", "digits", "--out", str(tmp_path)]
    assert main([*args, "--max-cells", "0", "--quiet"]) == 0
    assert "No finished cells of this data" in capsys.readouterr().out
    assert not list(tmp_path.iterdir())


def test_a_run_with_nothing_to_run_trains_nothing_and_prints_the_data_it_read(tmp_path, capsys):
    """With every cell done, a missing autoencoder was pretrained, unrecorded; the printed
    tables took the data's description from runs.jsonl's last record (an older version's
    had none: KeyError; a tables-only run after the data changed back: the wrong one)."""
    args = ["learning-curve", "--profile", "tiny", "--dataset", "digits", "--out", str(tmp_path)]
    args += ["--pipelines", "ae_digits", "--no-figures", "--quiet"]
    assert main(args) == 0
    assert len((tmp_path / "runs.jsonl").read_text().splitlines()) == 1
    for cached in (tmp_path / "autoencoders").iterdir():
        cached.unlink()
    (tmp_path / "runs.jsonl").write_text('{"run": "older"}\n')
    (tmp_path / "datasets.json").unlink()  # an older version's folder
    capsys.readouterr()
    for tables_only in ([], ["--max-cells", "0"]):
        assert main([*args, *tables_only]) == 0
        assert "full 360-image digits" in capsys.readouterr().out
    assert not list((tmp_path / "autoencoders").iterdir())
    assert (tmp_path / "runs.jsonl").read_text() == '{"run": "older"}\n'
    for unreadable in ("", "[]", '{"digits": []}', '{"digits": {"title": "digits"}}'):
        (tmp_path / "datasets.json").write_text(unreadable)
        assert main(args) == 1
        assert "datasets.json is not a JSON object of data sets" in capsys.readouterr().err


def test_max_cells_runs_part_of_the_study(tmp_path):
    args = dict(out=tmp_path, pipelines=["raw_pixels_logreg"], verbose=0)
    first = run_learning_curve("tiny", max_cells=1, **args)
    assert [(row["train_size"], row["repeat"]) for row in first] == [(40, 0)]
    assert run_learning_curve("tiny", max_cells=0, **args) == first  # tables only
    assert len(json.loads((tmp_path / "learning_curve.json").read_text())) == 1
    with pytest.raises(StudyError, match="max_cells"):
        run_learning_curve("tiny", max_cells=-1, **args)


def test_plots_return_figures(study):
    _, rows = study
    for figure in (
        plot_learning_curves(rows),
        plot_cnn_train_test(rows),
        plot_head_losses(rows, "sparse_ae_mnist"),
    ):
        assert isinstance(figure, Figure) and figure.axes
    ax = plot_learning_curves(rows).axes[0]
    assert ax.get_xlim() == (40, 80)  # ends at the largest size that ran
    assert "paper (seed-0)" not in [t.get_text() for t in ax.get_legend().get_texts()]
    assert not ax.collections  # one repeat: no spread band


def test_cli_draws_figures_from_the_run_without_training(study, capsys, no_training):
    out, _ = study
    args = ["learning-curve", "--profile", "tiny", "--out", str(out), "--pipelines", *PIPELINES]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "full 10 000-image" in printed and "sparse_ae_mnist" in printed
    for name in ("learning_curves", "confusion_sparse_ae_mnist_80", "reconstructions_mnist"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    "args, message",
    [
        (["--pipelines", "foo"], "Unknown pipelines ['foo']"),
        (["--device", "cuda:0"], "CUDA is not available"),
        (["--data-home", "{tmp}/empty"], "Could not load"),
    ],
)
def test_cli_rejects_a_bad_request_in_one_line_before_any_work(tmp_path, capsys, args, message):
    if "cuda" in args[-1] and __import__("torch").cuda.is_available():
        pytest.skip("this machine has CUDA")
    out = tmp_path / "out"
    args = [a.format(tmp=tmp_path) for a in args]
    assert main(["learning-curve", "--profile", "tiny", "--out", str(out), *args]) == 1
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert not list(tmp_path.iterdir())  # nothing written, no empty data folders left behind


def test_ctrl_c_in_pretraining_caches_nothing(tmp_path, ctrl_c, monkeypatch):
    ctrl_c(ConvAETransformer, epoch=1)
    args = dict(out=tmp_path, pipelines=["sparse_ae_mnist"], verbose=0)
    with pytest.warns(UserWarning, match="interrupted"), pytest.raises(KeyboardInterrupt):
        run_learning_curve("tiny", **args)
    assert not list((tmp_path / "autoencoders").glob("*.joblib"))
    monkeypatch.undo()
    run_learning_curve("tiny", **args, max_cells=1)  # pretrains again, to the end
    [path] = (tmp_path / "autoencoders").glob("*.joblib")
    assert joblib.load(path).n_epochs_ == PROFILES["tiny"].ae_epochs


def test_ctrl_c_in_a_batch_logs_the_finished_cells_only(tmp_path, monkeypatch):
    args = dict(out=tmp_path, pipelines=["raw_pixels_logreg", "cnn"], verbose=0)
    run_learning_curve("tiny", max_cells=1, **args)  # raw_pixels_logreg at 40 labels
    train_in_batch = _learning_curve.fit_batched

    def ctrl_c_in_second_epoch(models, *args, **kwargs):
        for model in models:
            model.max_epochs = 1
        train_in_batch(models, *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(_learning_curve, "fit_batched", ctrl_c_in_second_epoch)
    with pytest.raises(KeyboardInterrupt):
        run_learning_curve("tiny", **args)  # the CNN cells train as one batch
    logged = [(c["pipeline"], c["train_size"]) for c in CellLog(tmp_path / "cells.jsonl").read()]
    assert logged == [("raw_pixels_logreg", 40)]
    rows = json.loads((tmp_path / "learning_curve.json").read_text())
    assert [row["pipeline"] for row in rows] == ["raw_pixels_logreg"]


def test_a_torn_last_line_is_dropped_with_a_warning(tmp_path):
    args = dict(out=tmp_path, pipelines=["raw_pixels_logreg"], verbose=0)
    rows = run_learning_curve("tiny", **args)
    log = tmp_path / "cells.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text(lines[0] + lines[1][:40])  # killed while writing the second cell
    with pytest.warns(UserWarning, match="torn last line"):
        again = run_learning_curve("tiny", **args)
    assert [r["test_accuracy"] for r in again] == [r["test_accuracy"] for r in rows]
    assert len(CellLog(log).read()) == 2  # the torn cell ran again; the log is whole


def test_a_corrupt_line_inside_the_log_is_an_error(tmp_path):
    log = CellLog(tmp_path / "cells.jsonl")
    log.path.write_text('{"a": 1}\n{"a": \n{"a": 2}\n')
    with pytest.raises(StudyError, match="corrupt at byte 9"):
        log.read()


def test_a_second_run_on_the_same_folder_fails_at_once(tmp_path):
    with locked(tmp_path):
        with pytest.raises(StudyError, match=f"pid {os.getpid()}"):
            run_learning_curve("tiny", out=tmp_path, pipelines=["cnn"], verbose=0)
    assert not (tmp_path / "cells.jsonl").exists()


def test_a_killed_run_leaves_no_lock_behind(tmp_path):
    holder = textwrap.dedent(f"""
        from skae.studies._files import locked
        with locked({str(tmp_path)!r}):
            print("locked", flush=True)
            import time; time.sleep(60)
    """)
    process = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    with pytest.raises(StudyError, match="in use"), locked(tmp_path):
        pass
    process.send_signal(signal.SIGKILL)
    process.wait()
    with locked(tmp_path):  # the lock file is still there, the lock is not
        assert (tmp_path / ".lock").exists()


def test_model_cache_reuses_only_identical_fits(tmp_path, mnist_small):
    X = mnist_small[0][:64]
    cache = dict(name="ae", data={"dataset": "mnist", "images": 64}, folder=tmp_path)
    first = fit_cached(ConvAETransformer(max_epochs=1, random_state=0), X, **cache)
    again = fit_cached(ConvAETransformer(max_epochs=1, random_state=0, verbose=1), X, **cache)
    assert again.net_ is not first.net_ and len(list(tmp_path.iterdir())) == 1  # loaded
    fit_cached(ConvAETransformer(max_epochs=1, random_state=0, batch_size=16), X, **cache)
    fit_cached(ConvAETransformer(max_epochs=1, random_state=0), X, **{**cache, "data": {}})
    assert len(list(tmp_path.glob("ae-*.joblib"))) == 3  # other parameters, other data: refit


def test_a_corrupt_cache_entry_is_named_and_refitted(tmp_path, mnist_small):
    X = mnist_small[0][:64]
    cache = dict(name="ae", data={}, folder=tmp_path)
    fit_cached(ConvAETransformer(max_epochs=1, random_state=0), X, **cache)
    [path] = tmp_path.iterdir()
    path.write_bytes(path.read_bytes()[:1000])  # truncated by a kill or a full disk
    with pytest.warns(UserWarning, match=f"{path.name} is unreadable"):
        model = fit_cached(ConvAETransformer(max_epochs=1, random_state=0), X, **cache)
    assert model.n_epochs_ == 1 and joblib.load(path).n_epochs_ == 1


def test_seed1_cli_on_tiny_profile(tmp_path, capsys):
    assert main(["seed1", "--profile", "tiny", "--out", str(tmp_path), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "transfer accuracy" in printed and "Table 1" in printed
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics["denoising_test_mse"]) == {"gaussian", "salt_pepper", "speckle"}
    assert metrics["transfer_head_parameters"] == 5642
    assert metrics["ae_params"]["lr"] == 5.4e-3 and metrics["environment"]["torch_threads"] >= 1
    assert len(json.loads((tmp_path / "cv_results.json").read_text())["params"]) == 2
    for name in ("vae_interpolation_0_to_9", "latent_tsne", "search_parallel_coordinates"):
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 5_000
    # second run loads the cached models instead of training them again
    models = sorted(p.stat().st_mtime for p in (tmp_path / "models").iterdir())
    assert main(["seed1", "--profile", "tiny", "--out", str(tmp_path), "--quiet"]) == 0
    assert sorted(p.stat().st_mtime for p in (tmp_path / "models").iterdir()) == models
    # bfloat16 autoencoders are other models (own cache keys); the float32 ones stay
    options = ["--profile", "tiny", "--out", str(tmp_path), "--quiet", "--precision", "bfloat16"]
    assert main(["seed1", *options]) == 0
    precisions = [joblib.load(path).precision for path in (tmp_path / "models").iterdir()]
    assert sorted(precisions) == ["bfloat16"] * len(models) + ["float32"] * len(models)
    bf16 = json.loads((tmp_path / "metrics_bfloat16.json").read_text())
    assert bf16["environment"]["precision"] == "bfloat16"
    fp32 = json.loads((tmp_path / "metrics.json").read_text())
    assert fp32["environment"]["precision"] == "float32"  # not replaced by the bfloat16 run
    assert (tmp_path / "figures_bfloat16" / "latent_tsne.png").exists()


def test_seed1_ctrl_c_caches_only_finished_models(tmp_path, ctrl_c):
    ctrl_c(VAETransformer, epoch=1)
    with pytest.warns(UserWarning, match="interrupted"), pytest.raises(KeyboardInterrupt):
        run_seed1("tiny", out=tmp_path, verbose=0)
    cached = sorted(path.name.split("-")[0] for path in (tmp_path / "models").iterdir())
    assert cached == ["ae", "denoising_gaussian", "denoising_salt_pepper", "denoising_speckle"]


def test_tiny_profile_is_identical_in_fresh_processes(tmp_path):
    """Same machine, same thread count: every cell's numbers are bit-identical."""

    def run(out):
        command = [sys.executable, "-m", "skae._cli", "learning-curve", "--profile", "tiny"]
        options = ["--out", str(out), "--pipelines", *PIPELINES, "--no-figures", "--quiet"]
        subprocess.run([*command, *options], check=True, capture_output=True)
        return [
            {k: v for k, v in cell.items() if k not in ("fit_time", "run")}
            for cell in CellLog(out / "cells.jsonl").read()
        ]

    first, second = run(tmp_path / "a"), run(tmp_path / "b")
    assert len(first) == 6 and first == second


def test_import_skae_loads_neither_matplotlib_nor_torchvision():
    code = "import sys, skae; print(sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert "torch" in loaded and "matplotlib" not in loaded and "torchvision" not in loaded


def test_precision_pretrains_its_own_encoders_and_keeps_its_own_cells(study, tmp_path):
    out, rows = study
    args = {"out": tmp_path, "pipelines": ["sparse_ae_mnist"], "max_cells": 1, "verbose": 0}
    run_learning_curve("tiny", **args)
    bf16 = run_learning_curve("tiny", precision="bfloat16", **args)
    cells = CellLog(tmp_path / "cells.jsonl").read()
    assert [c.get("precision", "float32") for c in cells] == ["float32", "bfloat16"]
    assert len(bf16) == 1 and len(list((tmp_path / "autoencoders").glob("sparse_ae*"))) == 2
    tables = {
        p: json.loads((tmp_path / f"{p}.json").read_text())
        for p in ("learning_curve", "learning_curve_bfloat16")
    }
    assert [len(rows) for rows in tables.values()] == [1, 1]  # neither run replaced the other
    assert tables["learning_curve_bfloat16"][0]["precision"] == "bfloat16"
    assert "precision" not in tables["learning_curve"][0]
    assert [r["precision"] for r in CellLog(tmp_path / "runs.jsonl").read()] == [
        "float32",
        "bfloat16",
    ]
    args = ["--profile", "tiny", "--out", str(tmp_path), "--precision", "half"]
    with pytest.raises(SystemExit):
        main(["learning-curve", *args])


def test_tables_keep_every_pipeline_and_tables_only_train_nothing(tmp_path):
    """--pipelines cnn once left only the cnn rows in the tables; --max-cells 0 with another
    profile pretrained its autoencoders and emptied the tables."""
    args = {"dataset": "digits", "out": tmp_path, "verbose": 0}
    run_learning_curve("tiny", pipelines=["raw_pixels_logreg"], **args)
    run_learning_curve("tiny", pipelines=["random_encoder"], **args)
    table = (tmp_path / "learning_curve.csv").read_text()
    assert "raw_pixels_logreg" in table and "random_encoder" in table
    cached = sorted((tmp_path / "autoencoders").iterdir())
    runs = (tmp_path / "runs.jsonl").read_text()
    assert run_learning_curve("quick", max_cells=0, **args) == []
    assert (tmp_path / "learning_curve.csv").read_text() == table
    assert sorted((tmp_path / "autoencoders").iterdir()) == cached
    assert len(run_learning_curve("tiny", max_cells=0, **args)) == table.count("\n") - 1
    run_learning_curve("tiny", pipelines=["random_encoder"], **args)  # all done
    assert (tmp_path / "runs.jsonl").read_text() == runs  # tables only: no run to record


def test_another_data_set_needs_another_folder(tmp_path):
    run_learning_curve("tiny", pipelines=["raw_pixels_logreg"], dataset="digits", out=tmp_path)
    images = (load_digits().images * 16).astype(np.uint8)
    np.savez(tmp_path / "mine.npz", X=images, y=load_digits().target)
    with pytest.raises(StudyError, match="holds the learning curve of digits; use another"):
        run_learning_curve("tiny", dataset=tmp_path / "mine.npz", out=tmp_path)
