"""Both studies on data the user brings: an RGB image folder, a .npz file, the bundled digits."""

import json

import joblib
import numpy as np
import pytest
from PIL import Image

from skae._cli import main
from skae.studies import StudyError, run_few_labels, run_learning_curve
from skae.studies._data import study_data

METHODS = ["cnn", "frozen_svc", "poisson_transductive"]


def tinted_images(rng, n, n_classes=4, size=32):
    """Random RGB images whose mean colour tells the class: learnable from few labels."""
    labels = np.arange(n) % n_classes
    tints = rng.integers(0, 256, (n_classes, 3))
    noise = rng.integers(-40, 40, (n, size, size, 3))
    return np.clip(tints[labels][:, None, None] + noise, 0, 255).astype(np.uint8), labels


@pytest.fixture(scope="module")
def rgb_folder(tmp_path_factory):
    """4 classes x 30 RGB 32x32 PNGs and 40 unlabeled ones, no test split."""
    root = tmp_path_factory.mktemp("data") / "tints"
    images, labels = tinted_images(np.random.default_rng(0), 160)
    for i, (pixels, label) in enumerate(zip(images, labels)):
        folder = root / ("unlabeled" if i >= 120 else f"class_{label}")
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(folder / f"{i:03d}.png")
    return root


def test_few_label_study_on_an_rgb_folder(rgb_folder, tmp_path, capsys):
    assert (
        main(
            [
                "few-labels",
                "--profile",
                "tiny",
                "--dataset",
                str(rgb_folder),
                "--out",
                str(tmp_path),
                "--methods",
                *METHODS,
                "--quiet",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "tints" in printed and "held out" in printed and "Does pretraining help" in printed
    rows = json.loads((tmp_path / "summary.json").read_text())
    assert {row["dataset"] for row in rows} == {"tints"}
    assert {row["n_labels"] for row in rows} == {8, 20}  # 2 and 5 per class, 4 classes
    described = json.loads((tmp_path / "datasets.json").read_text())["tints"]
    assert described["image_shape"] == [3, 32, 32] and described["classes"][0] == "class_0"
    assert described["pool"] == 24 * 4 + 40 and described["test"] == 24  # 20 % held out
    svc = [r for r in rows if r["method"] == "frozen_svc" and r["representation"] == "pixels"]
    assert min(r["mean_accuracy"] for r in svc) > 0.5  # the tint is learnable: chance is 0.25
    [path] = (tmp_path / "autoencoders").iterdir()
    assert joblib.load(path).image_shape == (3, 32, 32)
    assert "tints" in (tmp_path / "summary_tints.rst").read_text().splitlines()[0]


def test_learning_curve_study_on_an_rgb_folder(rgb_folder, tmp_path):
    rows = run_learning_curve(
        "tiny",
        out=tmp_path,
        dataset=rgb_folder,
        verbose=0,
        pipelines=["sparse_ae_tints", "cnn", "raw_pixels_logreg"],
    )
    assert {row["pipeline"] for row in rows} == {"sparse_ae_tints", "cnn", "raw_pixels_logreg"}
    assert {row["train_size"] for row in rows} == {40, 80}
    logreg = [row["full_test_accuracy"] for row in rows if row["pipeline"] == "raw_pixels_logreg"]
    assert min(logreg) > 0.5
    [run] = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert run["dataset"]["image_shape"] == [3, 32, 32]


def test_studies_on_a_npz_with_its_test_split(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X, y = tinted_images(rng, 200, n_classes=3, size=12)
    y = np.where(np.arange(200) < 150, y, -1)  # the last 50 unlabeled
    X_test, y_test = tinted_images(rng, 30, n_classes=3, size=12)
    np.savez(tmp_path / "set.npz", X=X, y=y, X_test=X_test, y_test=y_test)
    rows = run_few_labels(
        "tiny", out=tmp_path / "few", datasets=[tmp_path / "set.npz"], methods=METHODS, verbose=0
    )
    assert {row["dataset"] for row in rows} == {"set"} and {r["n_labels"] for r in rows} == {6, 15}
    described = json.loads((tmp_path / "few" / "datasets.json").read_text())["set"]
    assert described["test"] == 30 and "test split" in described["test_source"]
    curve = run_learning_curve(
        "tiny",
        out=tmp_path / "curve",
        dataset=tmp_path / "set.npz",
        pipelines=["raw_pixels_logreg"],
        verbose=0,
    )
    assert {row["train_size"] for row in curve} == {40, 80}
    described = json.loads((tmp_path / "curve" / "datasets.json").read_text())["set"]
    np.savez(tmp_path / "set.npz", X=X[:150], y=y[:150], X_test=X_test, y_test=y_test)
    tables = (tmp_path / "curve" / "learning_curve.json").read_text()
    args = dict(
        out=tmp_path / "curve", dataset=tmp_path / "set.npz", pipelines=["raw_pixels_logreg"]
    )
    assert run_learning_curve("tiny", max_cells=0, **args) == []
    assert "The images or labels of set changed since 2 of the cells" in capsys.readouterr().out
    # The tables still show the first data (no cell of the new one): so does datasets.json.
    assert (tmp_path / "curve" / "learning_curve.json").read_text() == tables
    assert json.loads((tmp_path / "curve" / "datasets.json").read_text())["set"] == described
    # The tables of another precision show the new data: their own file describes it.
    run_learning_curve("tiny", precision="bfloat16", verbose=0, **args)
    assert json.loads((tmp_path / "curve" / "datasets.json").read_text())["set"] == described
    other = json.loads((tmp_path / "curve" / "datasets_bfloat16.json").read_text())["set"]
    assert other["sha256"] != described["sha256"]
    # The few-label study: a tables-only run after the data changed rewrites nothing.
    few = json.loads((tmp_path / "few" / "datasets.json").read_text())
    summary = (tmp_path / "few" / "summary.csv").read_text()
    assert run_few_labels("tiny", out=tmp_path / "few", datasets=[tmp_path / "set.npz"],
                          methods=METHODS, max_cells=0, verbose=0) == []  # fmt: skip
    assert json.loads((tmp_path / "few" / "datasets.json").read_text()) == few
    assert (tmp_path / "few" / "summary.csv").read_text() == summary


def test_few_label_tables_show_one_version_of_each_data_set(tmp_path):
    """The cells of a data set the run was not given once mixed every version of its data,
    under the newest one's description; an older folder's bfloat16 tables lost its caption."""
    rng = np.random.default_rng(2)
    paths = [tmp_path / "a.npz", tmp_path / "b.npz"]
    for path in paths:
        np.savez(path, **dict(zip("Xy", tinted_images(rng, 90, n_classes=3, size=12))))
    out = tmp_path / "out"
    args = dict(out=out, methods=["frozen_svc"], verbose=0)
    run_few_labels("tiny", datasets=paths, precision="bfloat16", **args)
    X, y = tinted_images(rng, 90, n_classes=3, size=12)
    np.savez(paths[0], X=X, y=y)  # a changes
    run_few_labels("tiny", datasets=paths, precision="bfloat16", max_cells=1, **args)
    new = json.loads((out / "datasets_bfloat16.json").read_text())["a"]
    assert new["content_sha256"] == study_data(paths[0]).content
    # An older folder: one datasets.json beside the tables of every precision.
    (out / "datasets_bfloat16.json").rename(out / "datasets.json")
    rows = run_few_labels("tiny", datasets=paths[1:], precision="bfloat16", max_cells=0, **args)
    assert sum(row["n_draws"] for row in rows if row["dataset"] == "a") == 1  # the new a's cell
    assert json.loads((out / "datasets_bfloat16.json").read_text())["a"] == new
    assert "72 training images" in (out / "summary_bfloat16_a.rst").read_text().splitlines()[0]


def test_budgets_a_class_cannot_fill_are_skipped_or_refused(tmp_path):
    data = study_data("digits")
    assert data.budgets((10, 100, 1000)) == ([100, 1000], data.budgets((10, 100, 1000))[1])
    assert "[1000] labels per class skipped" in data.budgets((10, 100, 1000))[1]
    with pytest.raises(StudyError, match="needs at least 1000 per class"):
        data.budgets((1000,))


def test_cache_is_keyed_by_content_not_name(tmp_path):
    digits = study_data("digits")
    X = digits.X.copy()
    X[0, 0] = 1 - X[0, 0]
    other = study_data("digits")
    object.__setattr__(other, "X", X)
    object.__setattr__(other, "fingerprint", "")
    other.__post_init__()
    assert other.identity() != digits.identity() and other.name == digits.name
    assert study_data("digits").identity() == digits.identity()


def test_unreadable_data_is_one_line_before_any_work(tmp_path, capsys):
    code = main(
        [
            "few-labels",
            "--profile",
            "tiny",
            "--dataset",
            str(tmp_path / "missing"),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 1 and "Unknown data set" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_digits_study_needs_no_data_and_no_network(tmp_path, monkeypatch, capsys):
    """The README's first command, on the tiny profile: no SKAE_DATA, every connection refused."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.delenv("SKAE_DATA", raising=False)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "empty"))
    monkeypatch.setattr(socket.socket, "connect", refuse)
    out = tmp_path / "digits"
    assert (
        main(
            [
                "few-labels",
                "--dataset",
                "digits",
                "--profile",
                "tiny",
                "--out",
                str(out),
                "--methods",
                "cnn",
                "frozen_svc",
                "--quiet",
            ]
        )
        == 0
    )
    assert "Does pretraining help on digits?" in capsys.readouterr().out
    assert (out / "summary.csv").exists() and (out / "figures" / "few_labels.png").exists()
    assert not (tmp_path / "empty").exists()  # nothing was downloaded or created there


def test_standardized_inputs_are_their_own_cells_without_false_warnings(tmp_path):
    import warnings

    from skae import InputRangeWarning

    args = {"dataset": "digits", "pipelines": ["raw_pixels_logreg", "random_encoder"]}
    unit = run_learning_curve("tiny", out=tmp_path, verbose=0, **args)
    with pytest.raises(StudyError, match="holds the learning curve of digits"):
        run_learning_curve("tiny", out=tmp_path, inputs="standardized", **args)  # its tables
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputRangeWarning)  # standardized pixels are deliberate
        standardized = run_learning_curve(
            "tiny", out=tmp_path / "std", verbose=0, inputs="standardized", **args
        )
    assert {row["dataset"] for row in unit} == {"digits"}
    assert {row["dataset"] for row in standardized} == {"digits_standardized"}
    assert len(standardized) == len(unit)
    runs = [json.loads(line) for line in (tmp_path / "std/runs.jsonl").read_text().splitlines()]
    assert runs[-1]["dataset"]["inputs"].startswith("standardized: (x - mean) / std")


def test_standardized_data_has_mean_0_std_1_and_0_255_pixels_still_warn():
    from skae import ConvAETransformer, InputRangeWarning

    data = study_data("digits", inputs="standardized")
    assert abs(data.X.mean()) < 1e-5 and abs(data.X.std() - 1) < 1e-5
    with pytest.warns(InputRangeWarning, match="Divide by 255"):
        ConvAETransformer(image_shape=(1, 8, 8), max_epochs=1).fit(255 * study_data("digits").X)
    with pytest.raises(StudyError, match="Unknown inputs"):
        study_data("digits", inputs="minmax")


def test_a_changed_data_set_reruns_its_cells(tmp_path):
    rng = np.random.default_rng(2)
    X, y = tinted_images(rng, 120, n_classes=3, size=8)
    path = tmp_path / "set.npz"
    np.savez(path, X=X, y=y)
    first = run_few_labels(
        "tiny", out=tmp_path / "out", datasets=[path], methods=["frozen_svc"], verbose=0
    )
    np.savez(path, X=255 - X, y=y)  # same name and labels, other pixels
    second = run_few_labels(
        "tiny", out=tmp_path / "out", datasets=[path], methods=["frozen_svc"], verbose=0
    )
    cells = [
        json.loads(line) for line in (tmp_path / "out" / "cells.jsonl").read_text().splitlines()
    ]
    assert len(cells) == 2 * len(first) * 2 and len(second) == len(first)  # all ran again
    assert len({cell["sha256"] for cell in cells}) == 2


def test_changed_labels_rerun_and_one_train_size_draws_its_figures(tmp_path):
    rng = np.random.default_rng(3)
    X, y = tinted_images(rng, 75, n_classes=3, size=8)  # 60 labeled train images: one size
    path = tmp_path / "set.npz"
    np.savez(path, X=X, y=y)
    args = {"out": tmp_path / "out", "dataset": path, "pipelines": ["cnn"], "verbose": 0}
    first = run_learning_curve("tiny", figures=True, **args)
    assert [row["train_size"] for row in first] == [40]
    np.savez(path, X=X, y=rng.permutation(y))  # same pixels, other labels
    second = run_learning_curve("tiny", **args)
    assert second[0]["sha256"] != first[0]["sha256"]  # ran again on the new labels


def write_npz(path, y, y_test=None):
    X = np.random.default_rng(0).integers(0, 256, (len(y), 6, 6), dtype=np.uint8)
    tests = {} if y_test is None else {"X_test": X[: len(y_test)], "y_test": np.array(y_test)}
    np.savez(path, X=X, y=np.array(y), **tests)
    return path


def test_data_errors_name_the_class(tmp_path):
    with pytest.raises(StudyError, match=r"class\(es\) \['2'\] have fewer than 2 labeled"):
        study_data(write_npz(tmp_path / "one.npz", [0, 1] * 5 + [2]))
    with pytest.raises(StudyError, match=r"\['2'\] have only 0 labeled images in the pool"):
        study_data(write_npz(tmp_path / "test_only.npz", [0, 1] * 6, y_test=[0, 1, 2])).budgets(
            (1,)
        )


def test_two_data_sets_of_one_name_are_refused(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        write_npz(tmp_path / folder / "set.npz", [0, 1] * 10)
    with pytest.raises(StudyError, match="Two data sets are named 'set'"):
        run_few_labels(
            "tiny", datasets=[tmp_path / "a/set.npz", tmp_path / "b/set.npz"], out=tmp_path
        )
