"""The figures: what a reader sees (lines, ticks, legend placement, colour images)."""

import ast
import csv
import json
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from matplotlib import pyplot as plt  # noqa: E402

from skae import ConvAETransformer  # noqa: E402
from skae.plots import (  # noqa: E402
    plot_ae_losses,
    plot_cnn_train_test,
    plot_denoising,
    plot_few_labels,
    plot_head_losses,
    plot_interpolation,
    plot_latent_space,
    plot_learning_curves,
    plot_noise_examples,
    plot_reconstructions,
)
from skae.studies._few_labels import FAMILIES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = ROOT / "benchmarks" / "results" / "few_labels" / "summary"
LEARNING_CURVE = ROOT / "benchmarks" / "results" / "paper" / "learning_curve.json"

ANCHORS = {  # the few-label study's published anchors, in its format
    "mnist": {
        "CNN, labels only (Kingma et al. 2014)": ({100: 77.0, 1000: 93.6}, False),
        "VAE M1 + TSVM (Kingma et al. 2014)": ({100: 88.2, 1000: 95.8}, True),
        "ladder networks (Rasmus et al. 2015)": ({100: 98.9, 1000: 99.2}, False),
    },
    "fashion": {"Poisson learning, VAE latent (Calder et al. 2020)": ({100: 75.3}, True)},
}
TITLES = {"mnist": "MNIST", "fashion": "FashionMNIST"}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def summary_rows():
    return json.loads(SUMMARY.with_suffix(".json").read_text())


def data_lines(ax):
    """The method lines of a few-label panel (the anchors are markers without a line)."""
    return [line for line in ax.get_lines() if line.get_linestyle() != "None"]


def anchor_markers(ax):
    return [line for line in ax.get_lines() if line.get_linestyle() == "None"]


def assert_legend_outside(ax):
    """The legend overlaps neither the axes nor the x label (drawn, in display pixels)."""
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    assert not legend.overlaps(ax.get_window_extent(renderer))
    assert not legend.overlaps(ax.xaxis.label.get_window_extent(renderer))


def test_few_labels_best_line_per_family(summary_rows):
    fig = plot_few_labels(summary_rows, anchors=ANCHORS, families=FAMILIES, titles=TITLES)
    assert [ax.get_title() for ax in fig.axes] == ["MNIST", "FashionMNIST"]
    colors = {}
    for ax, dataset in zip(fig.axes, ["mnist", "fashion"]):
        lines = data_lines(ax)
        styles = [(line.get_label().split(":")[0], line.get_linestyle()) for line in lines]
        assert len(styles) == len(set(styles))  # one per (family, inductive / transductive)
        ran = {row["method"] for row in summary_rows if row["dataset"] == dataset}
        expected = {f for k, f in FAMILIES.items() if (k[0] if isinstance(k, tuple) else k) in ran}
        assert {family for family, _ in styles} == expected
        assert sum(style == "--" for _, style in styles) == 1  # only the graph methods
        for line in lines:  # a family has one colour, in every panel
            family = line.get_label().split(":")[0]
            assert colors.setdefault(family, line.get_color()) == line.get_color()
        budgets = sorted({r["n_labels"] for r in summary_rows if r["dataset"] == dataset})
        assert [t.get_text() for t in ax.get_xticklabels()] == [str(n) for n in budgets]
        assert ax.get_xticks(minor=True).size == 0
        assert_legend_outside(ax)


def test_few_labels_best_is_the_highest_mean(summary_rows):
    fig = plot_few_labels(summary_rows, families=FAMILIES, titles=TITLES)
    mnist = fig.axes[0]
    labels = [line.get_label() for line in data_lines(mnist)]
    # frozen codes on MNIST: the SVC on AE codes beats the softmax on them at every budget
    assert "frozen codes: frozen_svc on dense_ae" in labels
    # the best inductive semi-supervised line ran 3 budgets: compared on those
    assert "semi-supervised / graph: poisson_pseudo_cnn_relabeled on dense_ae" in labels


def test_few_labels_best_compares_shared_budgets():
    def row(method, n, accuracy):
        return {"dataset": "d", "method": method, "representation": "r", "n_labels": n,
                "mean_accuracy": accuracy, "std_accuracy": 0.0, "n_draws": 1,
                "transductive": False}  # fmt: skip

    # "late" ran only the large budget, where everyone is good: "a" wins on the shared one
    rows = [row("a", 10, 0.6), row("a", 100, 0.95), row("b", 10, 0.5), row("b", 100, 0.9)]
    rows += [row("late", 100, 0.92)]
    fig = plot_few_labels(rows, families=dict.fromkeys(["a", "b", "late"], "f"))
    [line] = data_lines(fig.axes[0])
    assert line.get_label() == "f: a on r"
    assert not fig.axes[0].collections  # one draw: no band


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("mean_accuracy", 97.3, "mean_accuracy holds 97.3: a number in .* fractions"),
        ("mean_accuracy", float("nan"), "mean_accuracy holds nan"),
        ("mean_accuracy", True, "mean_accuracy holds True: not a number"),
        ("mean_accuracy", "high", "mean_accuracy holds 'high': not a number"),
        ("mean_accuracy", "", "mean_accuracy is empty"),  # a raw TypeError
        ("n_labels", None, "n_labels is empty"),
        ("std_accuracy", 2.4, "std_accuracy holds 2.4"),  # a percentage: a ±240-point band
        ("std_accuracy", -0.05, "std_accuracy holds -0.05"),
        ("std_accuracy", "nan", "std_accuracy holds 'nan'"),  # the band silently left out
        ("n_labels", 0, "n_labels holds 0: a whole number"),
        ("n_labels", 100.7, "n_labels holds 100.7"),  # drawn at 100
        ("n_labels", True, "n_labels holds True"),  # drawn at 1
        ("n_labels", "1e3x", "n_labels holds '1e3x': not a number"),
        ("n_draws", -3, "n_draws holds -3"),  # still drew a band
        ("transductive", "maybe", "transductive holds 'maybe'"),
        ("transductive", float("nan"), "transductive holds nan"),  # pandas' empty cell
    ],
)
def test_few_labels_values_that_would_draw_a_wrong_figure_are_refused(
    summary_rows, key, value, message
):
    with pytest.raises(ValueError, match=message):
        plot_few_labels([{**summary_rows[0], key: value}])


def test_few_labels_rows_that_would_draw_a_wrong_figure_are_refused(summary_rows):
    """Two summaries' rows (two precisions) drew a zigzag through both, no rows raised a raw
    max() error."""
    with pytest.raises(ValueError, match="Two rows for"):
        plot_few_labels([*summary_rows, {**summary_rows[0], "mean_accuracy": 0.5}])
    with pytest.raises(ValueError, match="No rows to plot"):
        plot_few_labels([])
    with pytest.raises(ValueError, match="A row lacks"):
        plot_few_labels([{k: v for k, v in summary_rows[0].items() if k != "n_labels"}])
    with pytest.raises(ValueError, match="Every row is outdated"):
        plot_few_labels([{**summary_rows[0], "outdated": True}])
    twin = {**summary_rows[0], "transductive": not summary_rows[0]["transductive"]}
    plot_few_labels([summary_rows[0], twin])  # another point: both drawn


def test_few_labels_reads_csv_spellings_and_leaves_outdated_rows_out(summary_rows):
    row = {**summary_rows[0], "n_labels": "1e2", "n_draws": "5.0", "std_accuracy": ""}
    for spelling, transductive in [("t", True), ("Y", True), ("on", True), ("off", False)]:
        fig = plot_few_labels([{**row, "transductive": spelling}])
        [line] = data_lines(fig.axes[0])
        assert list(line.get_xdata()) == [100]
        assert (line.get_linestyle() == "--") == transductive
    old = {**summary_rows[0], "mean_accuracy": 0.1, "n_labels": 7, "outdated": "True"}
    fig = plot_few_labels([summary_rows[0], old])  # summary.json marks older code's cells
    assert [list(line.get_xdata()) for line in data_lines(fig.axes[0])] == [
        [summary_rows[0]["n_labels"]]
    ]


def test_few_labels_family_lines_without_a_shared_budget_are_all_drawn():
    """The "best" of a family was picked by comparing means over different budgets."""

    def row(method, n, accuracy):
        return {"dataset": "d", "method": method, "representation": "r", "n_labels": n,
                "mean_accuracy": accuracy, "n_draws": 1, "transductive": False}  # fmt: skip

    rows = [row("a", 100, 0.80), row("a", 1000, 0.95), row("b", 5000, 0.97)]
    fig = plot_few_labels(rows, families={"a": "F", "b": "F"})
    assert sorted(line.get_label() for line in data_lines(fig.axes[0])) == [
        "F: a on r",
        "F: b on r",
    ]


def test_few_labels_anchors_and_display_names(summary_rows):
    names = {"cnn": "CNN", ("frozen_svc", "dense_ae"): "SVC on AE codes"}
    fig = plot_few_labels(
        summary_rows, anchors=ANCHORS, families=FAMILIES, display_names=names, titles=TITLES
    )
    mnist, fashion = fig.axes
    labels = [t.get_text() for t in mnist.get_legend().get_texts()]
    assert "from scratch: CNN" in labels and "frozen codes: SVC on AE codes" in labels
    assert "published: VAE M1 + TSVM (Kingma et al. 2014) (transductive)" in labels
    for ax, dataset in [(mnist, "mnist"), (fashion, "fashion")]:
        markers = anchor_markers(ax)
        assert len(markers) == len(ANCHORS[dataset])
        for marker, (values, transductive) in zip(markers, ANCHORS[dataset].values()):
            assert list(marker.get_ydata()) == [values[n] for n in sorted(values)]
            assert (marker.get_markerfacecolor() == "none") == transductive  # hollow


def test_few_labels_old_call_draws_every_line(summary_rows):
    fig = plot_few_labels(summary_rows)  # no families: every (method, representation)
    current = [r for r in summary_rows if not r.get("outdated")]  # † rows: tables only
    for ax in fig.axes:
        dataset = ax.get_title()  # no titles: the data set's name
        lines = {(r["method"], r["representation"]) for r in current if r["dataset"] == dataset}
        assert len(data_lines(ax)) == len(lines)
        banded = {  # a band where there is a spread: lines of more than one draw
            (r["method"], r["representation"])
            for r in current
            if r["dataset"] == dataset and r["n_draws"] > 1
        }
        assert len(ax.collections) == len(banded)
        assert not anchor_markers(ax)
        assert_legend_outside(ax)


def test_few_labels_reads_csv_rows_like_json_rows(summary_rows):
    with open(SUMMARY.with_suffix(".csv"), newline="") as file:
        csv_rows = list(csv.DictReader(file))  # every value a string
    from_csv = plot_few_labels(csv_rows, families=FAMILIES, titles=TITLES)
    from_json = plot_few_labels(summary_rows, families=FAMILIES, titles=TITLES)
    for a, b in zip(from_csv.axes, from_json.axes):
        assert [line.get_label() for line in a.get_lines()] == [
            line.get_label() for line in b.get_lines()
        ]
        assert [line.get_linestyle() for line in a.get_lines()] == [
            line.get_linestyle() for line in b.get_lines()
        ]


def test_learning_curves_display_names_and_legend_outside():
    rows = json.loads(LEARNING_CURVE.read_text())
    fig = plot_learning_curves(
        rows,
        paper_accuracy={"cnn": {160: 68, 960: 84, 8000: 86}},
        reported_sizes=(160, 480, 960, 1600, 4000, 8000),
        display_names={"cnn": "CNN, labels only"},
        paper_label="paper (seed-0)",
    )
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "CNN, labels only" in labels and "cnn" not in labels
    assert labels[-1] == "paper (seed-0)"
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "160", "480", "960", "1600", "4000", "8000"
    ]  # fmt: skip
    assert_legend_outside(ax)


def test_learning_curves_without_paper_numbers():
    rows = [
        {"pipeline": "cnn", "train_size": n, "repeat": 0, "test_accuracy": 0.9}
        for n in (160, 320, 480)
    ]
    for kwargs in [{}, {"paper_accuracy": {"cnn": {160: 68}}, "show_paper": False}]:
        ax = plot_learning_curves(rows, **kwargs).axes[0]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["cnn"]
        assert [t.get_text() for t in ax.get_xticklabels()] == ["160", "320", "480"]


def test_reconstructions_of_rgb_images_are_in_colour():
    X = np.random.default_rng(0).random((8, 3 * 8 * 8), dtype=np.float32)
    ae = ConvAETransformer(image_shape=(3, 8, 8), max_epochs=1, random_state=0).fit(X)
    fig = plot_reconstructions(ae, X, n_images=4)
    first = fig.axes[0].images[0]
    # channels last for imshow, pixel for pixel from the (C, H, W) image
    np.testing.assert_array_equal(first.get_array(), X[0].reshape(3, 8, 8).transpose(1, 2, 0))
    decoded = fig.axes[4].images[0].get_array()
    assert decoded.shape == (8, 8, 3)


def test_grey_images_stay_grey_and_any_shape_is_drawn():
    X = np.random.default_rng(0).random((4, 784), dtype=np.float32)
    image = plot_noise_examples(X, n_images=2).axes[0].images[0]
    assert image.get_array().shape == (28, 28) and image.get_cmap().name == "gray"
    X = np.random.default_rng(0).random((4, 20 * 36), dtype=np.float32)
    with pytest.raises(ValueError, match="image_shape"):
        plot_noise_examples(X)  # 720 features: not a square, nothing is guessed
    image = plot_noise_examples(X, image_shape=(1, 20, 36)).axes[0].images[0]
    assert image.get_array().shape == (20, 36)
    with pytest.raises(ValueError, match="does not fit"):
        plot_noise_examples(X, image_shape=(3, 20, 36))


def test_plots_import_nothing_from_the_studies():
    source = (ROOT / "skae" / "plots.py").read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            assert "studies" not in (node.module or ""), ast.unparse(node)
        elif isinstance(node, ast.Import):
            assert not any("studies" in alias.name for alias in node.names), ast.unparse(node)
    code = "import sys, skae.plots; print(sorted(m for m in sys.modules if 'studies' in m))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def _cells(pipeline, scores_by_size):
    return [
        {"pipeline": pipeline, "train_size": size, "repeat": repeat, "train_accuracy": 1.0,
         "test_accuracy": score, "loss_curve": [2.0, 1.0]}
        for size, scores in scores_by_size.items()
        for repeat, score in enumerate(scores)
    ]  # fmt: skip


def test_uneven_repeats_are_all_averaged():
    """A partial run has more repeats at some sizes: the first k of each were kept."""
    rows = _cells("a", {100: [0.5, 0.7, 0.9], 200: [0.8]})
    ax = plot_learning_curves(rows).axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [70.0, 80.0])
    assert "up to 3 repeats" in ax.get_title()
    rows = _cells("cnn", {100: [0.5, 0.7, 0.9], 200: [0.8, 0.6]})
    test_line = [line for line in plot_cnn_train_test(rows).axes[0].lines][1]
    np.testing.assert_allclose(test_line.get_ydata(), [0.7, 0.7])


def test_nothing_to_draw_is_an_error_naming_what_there_is():
    rows = _cells("a", {100: [0.5], 200: [0.8]})
    for call, message in [
        (lambda: plot_learning_curves([]), "No rows"),
        (lambda: plot_learning_curves(rows, metric="full_test_accuracy"), "lacks"),
        (lambda: plot_learning_curves(_cells("a", {100: [50.0]})), "as fractions"),
        (lambda: plot_learning_curves(_cells("a", {100: [-0.1]})), "holds -0.1"),  # was drawn
        (lambda: plot_learning_curves(_cells("a", {100.5: [0.5]})), "train_size holds 100.5"),
        (lambda: plot_learning_curves(_cells("a", {0: [0.5]})), "train_size holds 0"),
        (lambda: plot_learning_curves(_cells("a", {100: ["x"]})), "not a number"),
        (lambda: plot_cnn_train_test(rows, "typo"), r"'typo'; the rows hold \['a'\]"),
        (lambda: plot_head_losses(rows, "q"), r"\('a', 0\)"),
        (lambda: plot_head_losses(rows, "a", repeat=5), "repeat 5"),
        (lambda: plot_head_losses(rows, "a", max_curves=0), "max_curves"),
        (lambda: plot_ae_losses({"u": ConvAETransformer()}), "has trained an epoch"),
    ]:
        with pytest.raises(ValueError, match=message):
            call()


def test_image_plots_take_image_shaped_x_and_check_n_images():
    X = np.random.default_rng(0).random((5, 64), dtype=np.float32)
    ae = ConvAETransformer(image_shape=(1, 8, 8), max_epochs=1, random_state=0).fit(X)
    for images in (X.reshape(-1, 8, 8), X.reshape(-1, 1, 8, 8)):
        fig = plot_reconstructions(ae, images, n_images=3)
        np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), X[0].reshape(8, 8))
        assert len(plot_denoising(ae, images, "speckle", n_images=2).axes) == 6
        shown = plot_noise_examples(images, n_images=2).axes[1].images[0].get_array()
        np.testing.assert_array_equal(shown, X[1].reshape(8, 8))
    for n_images in (0, -2, 1.5):
        with pytest.raises(ValueError, match="n_images must be a positive int"):
            plot_reconstructions(ae, X, n_images=n_images)
    with pytest.raises(ValueError, match="one per row"):
        plot_noise_examples(X[0])
    fig = plot_interpolation(ae.set_output(transform="pandas"), X[0], X[1], steps=3)
    assert fig.axes[0].get_ylabel() == "x_start → x_end"
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(64)])
    ae.fit(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "X does not have valid feature names" was raised
        images = ae.interpolate(frame.iloc[0], frame.iloc[1], steps=3)
    np.testing.assert_allclose(images[0], ae.reconstruct(frame.iloc[:1])[0], atol=1e-6)


def test_ae_losses_after_a_warm_fit_that_turned_validation_on():
    X = np.random.default_rng(0).random((20, 64), dtype=np.float32)
    ae = ConvAETransformer(image_shape=(1, 8, 8), max_epochs=1, warm_start=True, random_state=0)
    ae.fit(X).set_params(validation_fraction=0.2).fit(X)
    train, validation = plot_ae_losses({"ae": ae}).axes[0].lines
    assert list(validation.get_xdata()) == [2] and list(train.get_xdata()) == [1, 2]


def test_latent_space_names_any_labels():
    codes = np.random.default_rng(0).normal(size=(6, 3))
    for labels in (["cat", "dog", "red"] * 2, [3, 7, 10] * 2):
        legend = plot_latent_space(codes, labels).axes[0].get_legend()
        assert [t.get_text() for t in legend.get_texts()] == [str(c) for c in np.unique(labels)]


def test_search_results_leave_failed_candidates_out_and_order_numpy_numbers():
    from skae.plots import plot_search_results

    results = {
        "params": [{"batch_size": np.int64(b)} for b in (2, 16, 128)] + [{"batch_size": 4}],
        "mean_test_score": [0.1, 0.2, 0.3, np.nan],
    }
    ax = plot_search_results(results).axes[0]
    starts = [line.get_ydata()[0] for line in ax.lines]
    assert len(ax.lines) == 3 and starts == sorted(starts)  # 2 < 16 < 128, as numbers
    with pytest.raises(ValueError, match="No candidate has a finite"):
        plot_search_results({"params": [{"lr": 0.1}], "mean_test_score": [np.nan]})


def test_latent_space_and_noise_examples_refuse_what_they_cannot_draw():
    codes = np.random.default_rng(0).normal(size=(6, 3))
    with pytest.raises(ValueError, match="method must be"):
        plot_latent_space(codes, [0, 1] * 3, method="TSNE")
    with pytest.raises(ValueError, match=r"shape \(n_samples, >= 2\)"):
        plot_latent_space(codes[:, :1], [0, 1] * 3, method=None)
    with pytest.raises(ValueError, match="channels last"):
        plot_noise_examples(np.random.default_rng(0).random((2, 8, 8, 3), dtype=np.float32))


def test_learning_curve_rows_that_would_draw_a_wrong_figure_are_refused():
    """Each was drawn: text sizes sorted as text (an axis from 89 down to 0), a second run's
    rows averaged in, published fractions drawn at the bottom, negative or boolean losses."""
    rows = _cells("a", {100: [0.5], 200: [0.8]})
    as_text = [{**row, "train_size": str(row["train_size"])} for row in rows]  # csv.DictReader
    ax = plot_learning_curves(as_text).axes[0]
    assert list(ax.lines[0].get_xdata()) == [100, 200]
    for call, message in [
        (lambda: plot_learning_curves(rows + rows[:1]), r"Two rows for .*\('a', 100, 0\)"),
        (lambda: plot_cnn_train_test(rows + rows[:1], "a"), "Two rows for"),
        (lambda: plot_learning_curves(rows, paper_accuracy={"a": {100: 0.68}}), "in %"),
        (lambda: plot_learning_curves(rows, paper_accuracy={"a": {100: np.nan}}), "nan"),
        (lambda: plot_learning_curves(rows, paper_accuracy={"a": {"x": 68}}), "size holds 'x'"),
        (lambda: plot_learning_curves(rows, reported_sizes=["x"]), "reported_sizes holds 'x'"),
        (lambda: plot_head_losses(rows, "a", repeat=False), "repeat must be an int"),
        (lambda: plot_head_losses(_with(rows, loss_curve=[1.0, -2.0]), "a"), "holds -2"),
        (lambda: plot_head_losses(_with(rows, loss_curve=[True, False]), "a"), "sequence of"),
        (lambda: plot_head_losses(_with(rows, loss_curve="[2.0, 1.0]"), "a"), "sequence of"),
        (lambda: plot_head_losses(_with(rows, train_size=0.5), "a"), "train_size holds 0.5"),
    ]:
        with pytest.raises(ValueError, match=message):
            call()
    nan_curve = plot_head_losses(_with(rows, loss_curve=[2.0, np.nan]), "a")  # diverged: a gap
    assert len(nan_curve.axes[0].lines) == 2


def _with(rows, **values):
    return [{**row, **values} for row in rows]


@pytest.mark.parametrize(
    "results, message",
    [
        ({"params": [{"lr": 0.0}, {"lr": 0.1}], "mean_test_score": [0.1, 0.2]}, "lr holds 0.0"),
        ({"params": [{"lr": 0.1}] * 3, "mean_test_score": [0.1, 0.2]}, "3 candidates"),
        ({"params": [{"lr": 0.1}], "mean_test_score": [True]}, "holds True"),
        ({"params": [{"lr": 0.1}, {"lr": np.nan}], "mean_test_score": [0.1, 0.2]}, "lr holds nan"),
        ({"params": [{"alpha": np.inf}, {"alpha": 1}], "mean_test_score": [0.1, 0.2]}, "holds inf"),
    ],
)
def test_search_results_that_would_draw_a_wrong_figure_are_refused(results, message):
    from skae.plots import plot_search_results

    with pytest.raises(ValueError, match=message):
        plot_search_results(results)


def test_search_results_draw_any_real_parameter():
    from fractions import Fraction

    from skae.plots import plot_search_results

    results = {"params": [{"a": Fraction(1, 10), "b": 2**70}, {"a": 1, "b": 1}],
               "mean_test_score": [0.1, 0.2]}  # fmt: skip
    assert plot_search_results(results).axes[0].get_lines()[0].get_ydata()[:2].tolist() == [0, 1]


def test_search_results_title_counts_the_failed_candidates():
    from skae.plots import plot_search_results

    results = {
        "params": [{"lr": 0.1}, {"lr": 0.01}, {"lr": 1.0}],
        "mean_test_score": [0.2, 0.1, -np.inf],
    }
    assert "1 failed candidate left out" in plot_search_results(results).axes[0].get_title()
    results["params"].append({"lr": 0.5})
    results["mean_test_score"] = [np.nan, np.nan, -np.inf, 0.3]  # error_score=nan
    assert "3 failed candidates left out" in plot_search_results(results).axes[0].get_title()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"dataset": float("nan")}, "dataset holds nan: a name"),
        ({"method": ""}, "method holds '': a name"),
    ],
)
def test_few_labels_names_must_be_names(summary_rows, change, message):
    with pytest.raises(ValueError, match=message):
        plot_few_labels([{**summary_rows[0], **change}])


@pytest.mark.parametrize(
    "anchors, message",
    [
        ({"mnist": {"x": {10: 50}}}, r"anchors\['mnist'\]\['x'\] holds .*: a pair"),
        ({"mnist": {"x": ({100: 0.99}, False)}}, "anchors is in %"),
        ({"mnist": {"x": ({100: 99}, "maybe")}}, "transductive holds 'maybe'"),
    ],
)
def test_few_labels_malformed_anchors_are_named(summary_rows, anchors, message):
    with pytest.raises(ValueError, match=message):
        plot_few_labels(summary_rows, anchors=anchors)


class NAType:
    """As ``pandas.NA``: comparisons give NA, whose truth value is a TypeError."""

    def __ne__(self, other):
        return self

    def __bool__(self):
        raise TypeError("boolean value of NA is ambiguous")


def test_records_with_nan_for_missing_values_draw_as_without_them(summary_rows):
    """``DataFrame.to_dict("records")`` writes NaN (pandas.NA for nullable columns) where a
    value is missing: NaN ``outdated`` was read as True, NaN ``std_accuracy`` and ``repeat``
    as numbers out of range, a NaN ``loss_curve`` as a malformed curve."""
    pandas_na = NAType()
    for empty in (np.nan, pandas_na):
        row = {**summary_rows[0], "outdated": empty, "std_accuracy": empty, "n_draws": empty}
        [line] = data_lines(plot_few_labels([row]).axes[0])
        assert list(line.get_ydata()) == [100 * summary_rows[0]["mean_accuracy"]]
    empty = {"repeat": np.nan, "loss_curve": np.nan, "train_accuracy": 1.0}
    learning = [{"pipeline": "p", "train_size": n, "test_accuracy": a, **empty}
                for n, a in [(10, 0.5), (20, 0.7)]]  # fmt: skip
    [line] = plot_learning_curves(learning, show_paper=False).axes[0].get_lines()
    assert list(line.get_ydata()) == [50.0, 70.0]
    curves = [{**learning[0], "repeat": 0, "loss_curve": [1.0, 0.5]}, learning[1]]
    assert len(plot_head_losses(curves, "p").axes[0].lines) == 1  # the NaN curve: none
    with pytest.raises(ValueError, match="transductive holds nan"):
        plot_few_labels([{**summary_rows[0], "transductive": np.nan}])  # required: no default
    with pytest.raises(ValueError, match="mean_accuracy is empty"):
        plot_few_labels([{**summary_rows[0], "mean_accuracy": pandas_na}])


def test_head_losses_take_any_integer_count_and_refuse_others():
    rows = [{"pipeline": "p", "train_size": n, "repeat": 0, "loss_curve": [2.0, 1.0]}
            for n in (10, 20, 30, 40)]  # fmt: skip
    assert len(plot_head_losses(rows, "p", max_curves=np.int64(3)).axes[0].lines) == 3
    for bad in (True, 0, 2.0, "3"):
        with pytest.raises(ValueError, match="max_curves must be a positive int"):
            plot_head_losses(rows, "p", max_curves=bad)


@pytest.mark.parametrize("repeats", [1, 3])
def test_train_test_accuracy_of_a_single_train_size(repeats):
    """LearningCurveDisplay failed on one size ("zero-size array") choosing its x scale."""
    rows = [{"pipeline": "cnn", "train_size": 100, "repeat": r, "train_accuracy": 1.0,
             "test_accuracy": 0.8 + r / 100} for r in range(repeats)]  # fmt: skip
    ax = plot_cnn_train_test(rows).axes[0]
    means = [container.lines[0].get_ydata()[0] for container in ax.containers]
    assert means == pytest.approx([1.0, 0.8 + (repeats - 1) / 200])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Train", "Test"]


def test_search_results_of_a_pipeline_draw_its_learning_rates_on_a_log_scale():
    from skae.plots import plot_search_results

    results = {"params": [{"clf__lr": lr} for lr in (1e-4, 1e-3, 1e-1)],
               "mean_test_score": [0.1, 0.2, 0.3]}  # fmt: skip
    ax = plot_search_results(results).axes[0]
    starts = [line.get_ydata()[0] for line in ax.lines]
    assert starts == pytest.approx([0.0, 1 / 3, 1.0])  # decades, evenly spaced
    assert "clf__lr on a log scale" in ax.get_title()
    results["mean_test_score"][0] = NAType()  # pandas.NA: a failed candidate, as NaN
    assert "1 failed candidate left out" in plot_search_results(results).axes[0].get_title()
    with pytest.raises(ValueError, match="clf__encoder_lr holds 0"):
        plot_search_results({"params": [{"clf__encoder_lr": 0}, {"clf__encoder_lr": 0.1}],
                             "mean_test_score": [0.1, 0.2]})  # fmt: skip


@pytest.mark.parametrize("failed", [np.nan, NAType()])
def test_failed_cells_are_left_out_of_the_means_and_counted_in_the_title(failed):
    """A failed fit (NaN accuracy, scikit-learn's ``error_score=nan``) was left out of the
    means without a word: a mean of fewer repeats looked like a mean of all of them."""
    rows = [{"pipeline": "p", "train_size": n, "repeat": r, "train_accuracy": t, "test_accuracy": a}
            for n, r, t, a in [(10, 0, 1.0, 0.5), (10, 1, failed, failed), (20, 0, 0.9, 0.7),
                               (20, 1, 1.0, 0.9), (20, 2, 1.0, failed)]]  # fmt: skip
    ax = plot_learning_curves(rows).axes[0]
    [line] = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), [50.0, 80.0])
    assert ax.get_title().endswith("over up to 2 repeats)\n(2 failed cells left out)")
    ax = plot_cnn_train_test(rows, "p").axes[0]
    train, test = (line.get_ydata() for line in ax.get_lines()[:2])
    np.testing.assert_allclose(train, [1.0, 2.9 / 3])
    np.testing.assert_allclose(test, [0.5, 0.8])
    assert ax.get_title() == (
        "p: train vs test accuracy\n(1 failed train score, 2 failed test scores left out)"
    )
    ok = [row for row in rows if row["test_accuracy"] is not failed]
    assert "failed" not in plot_learning_curves(ok).axes[0].get_title()
    assert "failed" not in plot_cnn_train_test(ok, "p").axes[0].get_title()


def test_a_size_without_a_score_is_a_gap_and_nothing_to_draw_is_an_error():
    """Every repeat of a size failed: its mean is NaN, a gap; the point between two gaps
    (no marker) was drawn as nothing. Every cell failed: an empty figure."""
    nan = float("nan")
    rows = [{"pipeline": "p", "train_size": n, "repeat": 0, "train_accuracy": a, "test_accuracy": a}
            for n, a in [(10, nan), (20, 0.6), (40, nan)]]  # fmt: skip
    for fig in (plot_learning_curves(rows), plot_cnn_train_test(iter(rows), "p")):
        line = fig.axes[0].get_lines()[0]
        assert line.get_marker() == "o" and np.isfinite(line.get_ydata()).sum() == 1
    failed = [{**row, "train_accuracy": nan, "test_accuracy": nan} for row in rows]
    with pytest.raises(ValueError, match="Every test_accuracy is NaN"):
        plot_learning_curves(failed)
    with pytest.raises(ValueError, match="Every train_accuracy and test_accuracy is NaN"):
        plot_cnn_train_test(failed, "p")
    other = [{**row, "pipeline": "q"} for row in rows]  # another pipeline's scores
    plot_learning_curves(failed + other)
    with pytest.raises(ValueError, match="Every train_accuracy and test_accuracy is NaN"):
        plot_cnn_train_test(failed + other, "p")
