"""The learning-curve study on the tiny profile (seconds)."""

import json

import pytest
from matplotlib.figure import Figure

from skae import PROFILES, format_summary, run_learning_curve, summarize
from skae._cli import main
from skae.plots import plot_cnn_train_test, plot_head_losses, plot_learning_curves

PIPELINES = ["sparse_ae_mnist", "cnn", "raw_pixels_logreg"]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    rows = run_learning_curve("tiny", out=out, pipelines=PIPELINES, verbose=0)
    return out, rows


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


def test_resume_recomputes_nothing(study, capsys):
    out, rows = study
    again = run_learning_curve("tiny", out=out, pipelines=PIPELINES, verbose=1)
    assert f"{len(rows)} cells already done, 0 to run" in capsys.readouterr().out
    assert again == rows


def test_max_cells_runs_part_of_the_study(tmp_path):
    args = dict(out=tmp_path, pipelines=["raw_pixels_logreg"], verbose=0)
    first = run_learning_curve("tiny", max_cells=1, **args)
    assert [(row["train_size"], row["repeat"]) for row in first] == [(40, 0)]
    assert run_learning_curve("tiny", max_cells=0, **args) == first  # tables only
    assert len(json.loads((tmp_path / "learning_curve.json").read_text())) == 1
    with pytest.raises(ValueError, match="max_cells"):
        run_learning_curve("tiny", max_cells=-1, **args)


def test_unknown_pipeline_is_rejected(study):
    with pytest.raises(ValueError, match="Unknown pipelines"):
        run_learning_curve("tiny", out=study[0], pipelines=["nope"], verbose=0)


def test_plots_return_figures(study):
    _, rows = study
    for figure in (
        plot_learning_curves(rows),
        plot_cnn_train_test(rows),
        plot_head_losses(rows, "sparse_ae_mnist"),
    ):
        assert isinstance(figure, Figure) and figure.axes


def test_cli_writes_tables_and_figures(study, capsys):
    out, _ = study
    assert main(["learning-curve", "--profile", "tiny", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "full 10 000-image" in printed and "random_encoder" in printed
    for name in ("learning_curves", "confusion_sparse_ae_mnist_480", "reconstructions_fashion"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 10_000


def test_cli_reports_missing_data(tmp_path, capsys):
    args = ["learning-curve", "--profile", "tiny", "--out", str(tmp_path), "--data-home"]
    assert main([*args, str(tmp_path / "empty")]) == 1
    assert "Could not load" in capsys.readouterr().err


def test_seed1_cli_on_tiny_profile(tmp_path, capsys):
    assert main(["seed1", "--profile", "tiny", "--out", str(tmp_path), "--quiet"]) == 0
    assert "transfer accuracy" in capsys.readouterr().out
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics["denoising_test_mse"]) == {"gaussian", "salt_pepper", "speckle"}
    assert metrics["transfer_head_parameters"] == 5642
    assert len(json.loads((tmp_path / "cv_results.json").read_text())["params"]) == 2
    for name in ("vae_interpolation_0_to_9", "latent_tsne", "search_parallel_coordinates"):
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 5_000
    # second run loads the cached models instead of training them again
    models = sorted(p.stat().st_mtime for p in (tmp_path / "models").iterdir())
    assert main(["seed1", "--profile", "tiny", "--out", str(tmp_path), "--quiet"]) == 0
    assert sorted(p.stat().st_mtime for p in (tmp_path / "models").iterdir()) == models


def test_interrupted_run_still_writes_finished_cells(tmp_path, monkeypatch):
    from skae import _study

    run_cell, calls = _study._run_cell, []

    def interrupted_on_second_cell(*args):
        calls.append(args)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return run_cell(*args)

    monkeypatch.setattr(_study, "_run_cell", interrupted_on_second_cell)
    with pytest.raises(KeyboardInterrupt):
        run_learning_curve("tiny", out=tmp_path, pipelines=["raw_pixels_logreg"], verbose=0)
    rows = json.loads((tmp_path / "learning_curve.json").read_text())
    assert [row["train_size"] for row in rows] == [40]


def test_ctrl_c_inside_a_cell_is_not_a_finished_cell(mnist_small, monkeypatch):
    """skorch swallows Ctrl-C and returns the best weights; a study cell must stop instead."""
    from sklearn.pipeline import make_pipeline
    from skorch.callbacks import Callback

    from skae import SoftmaxClassifier, _study

    class CtrlCInEpoch2(Callback):
        def on_batch_end(self, net, **kwargs):
            if len(net.history) == 2:
                raise KeyboardInterrupt

    make_net = SoftmaxClassifier._net

    def net_with_ctrl_c(self, *args, **kwargs):
        net = make_net(self, *args, **kwargs)
        net.callbacks.append(("ctrl_c", CtrlCInEpoch2()))
        return net

    monkeypatch.setattr(SoftmaxClassifier, "_net", net_with_ctrl_c)
    X, y, X_test, y_test = mnist_small
    with pytest.warns(UserWarning, match="interrupted"), pytest.raises(KeyboardInterrupt):
        _study._run_cell(
            "head", make_pipeline(SoftmaxClassifier(max_epochs=5)), 40, 0, X, y, X_test, y_test, 10
        )
