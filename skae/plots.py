"""Figures of the studies: each function takes fitted objects or result rows, returns a Figure.

Single-panel plots draw on ``ax`` when given one (else on a new figure); pyplot is imported
only when a new figure is made. Nothing here knows a study: published numbers, display names
and titles are arguments, passed by the caller.

Images are drawn in the shape the autoencoder was fitted on (``image_shape_``) or the one
given as ``image_shape``; one channel in grey, three (RGB) or four (RGBA) in colour.
Nothing to draw (no rows, an unknown pipeline or repeat, no trained model) is a
``ValueError`` naming what there is, never an empty figure.
"""

import math
from numbers import Integral, Real

import numpy as np
from matplotlib import colormaps
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, NullLocator, ScalarFormatter
from matplotlib.transforms import ScaledTranslation
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import LearningCurveDisplay

from .noise import NOISE_TYPES, add_noise

__all__ = [
    "plot_ae_losses",
    "plot_cnn_train_test",
    "plot_confusion_matrix",
    "plot_denoising",
    "plot_few_labels",
    "plot_head_losses",
    "plot_interpolation",
    "plot_latent_space",
    "plot_learning_curves",
    "plot_noise_examples",
    "plot_reconstructions",
    "plot_search_results",
]


def _subplots(nrows=1, ncols=1, **figure_kw):
    """A pyplot figure (shown inline by notebooks, collected by sphinx-gallery)."""
    from matplotlib import pyplot as plt

    return plt.subplots(nrows, ncols, squeeze=False, **figure_kw)


def _figure_and_axes(ax, figsize):
    """``(fig, ax)``: the given axes and their figure, or a new figure of ``figsize``."""
    if ax is not None:
        return ax.figure, ax
    fig, [[ax]] = _subplots(figsize=figsize, layout="tight")
    return fig, ax


def _scores_by_size(rows, pipeline, metric):
    """``(sizes, scores)`` for one pipeline: scores a masked array of shape (n_sizes,
    n_repeats), every repeat of every size (a partial run has more at some sizes)."""
    by_size = {}
    for row in _learning_rows(rows, metric):
        if row["pipeline"] == pipeline:
            by_size.setdefault(row["train_size"], []).append(row[metric])
    if not by_size:
        found = sorted({str(row["pipeline"]) for row in rows})
        raise ValueError(f"No rows of pipeline {pipeline!r}; the rows hold {found}.")
    sizes = sorted(by_size)
    width = max(len(scores) for scores in by_size.values())
    scores = np.full((len(sizes), width), np.nan)
    for i, size in enumerate(sizes):
        scores[i, : len(by_size[size])] = by_size[size]
    return np.array(sizes), np.ma.masked_invalid(scores)


def _failed_note(rows, key, what):
    """How many ``rows`` have a NaN ``key`` (failed fits, left out of the means), in words."""
    return _n_failed(sum(bool(np.isnan(row[key])) for row in rows), what)


def _n_failed(failed, what):
    """``"2 failed cells"``, ``"1 failed cell"``, or ``""`` for none."""
    return f"{failed} failed {what}{'s' * (failed > 1)}" if failed else ""


def _check_any_score(rows, *keys):
    if all(np.isnan(row[key]) for row in rows for key in keys):
        raise ValueError(f"Every {' and '.join(keys)} is NaN (failed fits): nothing to draw.")


def _learning_rows(rows, *scores):
    """Learning-curve cells checked and converted (``train_size`` a whole number >= 1,
    ``repeat`` >= 0, ``scores`` fractions or NaN for a failed cell); two cells for one
    pipeline, size and repeat (two runs mixed) would be averaged in: an error."""
    converted, seen = [], set()
    for row in _rows_with(rows, ("pipeline", "train_size", *scores)):
        row = {
            **row,
            "train_size": _number(row, "train_size", 1, np.inf, "a number of images", True),
            "repeat": _number(row, "repeat", 0, np.inf, "a repeat's index", True, missing=None),
        }
        for key in scores:
            row[key] = _number(row, key, 0, 1, "as fractions", missing=np.nan, nan_ok=True)
        cell = (row["pipeline"], row["train_size"], row["repeat"])
        if cell[2] is not None and cell in seen:
            raise ValueError(f"Two rows for pipeline, train_size, repeat {cell}: one run's rows.")
        seen.add(cell)
        converted.append(row)
    return converted


def _curve(values):
    """A loss curve as floats: NaN (a diverged epoch) drawn as a gap; below 0, booleans or
    text are errors."""
    if _missing(values):
        return np.empty(0)
    curve = np.asarray(values)
    if curve.ndim != 1 or curve.dtype.kind not in "iuf":
        raise ValueError(f"loss_curve holds {values!r}: a sequence of losses.")
    curve = curve.astype(float)
    if (curve < 0).any():
        raise ValueError(f"loss_curve holds {curve.min():g}: a loss is >= 0.")
    return curve


def _checked_accuracies(accuracies, name):
    """``{key: {n_labels: accuracy %}}`` checked: sizes whole numbers >= 1, accuracies in
    [0, 100] and not all <= 1 (fractions given as percentages draw at the bottom)."""
    accuracies = accuracies or {}
    points = {
        key: {
            _number({f"{name} size": n}, f"{name} size", 1, np.inf, "labels", True): _number(
                {name: a}, name, 0, 100, "in %"
            )
            for n, a in values.items()
        }
        for key, values in accuracies.items()
    }
    values = [a for by_n in points.values() for a in by_n.values()]
    if values and max(values) <= 1:
        raise ValueError(f"{name} is in % (got {max(values):g}: a fraction?).")
    return points


def _rows_with(rows, keys):
    """``rows``, each checked to hold ``keys``; no rows is an error (an empty figure)."""
    rows = list(rows)
    if not rows:
        raise ValueError("No rows to plot.")
    for row in rows:
        missing = [key for key in keys if key not in row]
        if missing:
            raise ValueError(f"A row lacks {missing}; it holds {sorted(row)}.")
    return rows


def _log_ticks(sizes, reported_sizes):
    """Tick positions on a log axis spanning ``sizes``: the ends plus reported sizes in range.

    Without ``reported_sizes``, every size when there are at most 8, else about 6 of them
    spread evenly on the log scale.
    """
    low, high = sizes[0], sizes[-1]
    if reported_sizes is not None:
        return sorted({low, high, *(s for s in reported_sizes if low <= s <= high)})
    if len(sizes) <= 8:
        return list(sizes)
    targets = np.geomspace(low, high, 6)
    return sorted({min(sizes, key=lambda s: abs(math.log(s / t))) for t in targets})


def _outside_legend(ax, handles, *, below=False, **legend_kw):
    """A legend beside the axes (right of them, or under the x label), never over the data.

    Below, it hangs a fixed 45 points under the axes' bottom edge (clear of the tick labels
    and the x label, whatever the axes' height), so a constrained layout makes room for it.
    """
    if below:
        offset = ScaledTranslation(0, -45 / 72, ax.figure.dpi_scale_trans)
        return ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0),
            bbox_transform=ax.transAxes + offset,
            **legend_kw,
        )
    return ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1), **legend_kw)


def plot_learning_curves(
    rows,
    *,
    metric="test_accuracy",
    paper_accuracy=None,
    reported_sizes=None,
    display_names=None,
    paper_label="paper",
    show_paper=None,
    ax=None,
):
    """Test accuracy against the number of labels, every pipeline (seed-0 Fig. 4).

    Lines are means over repeats, with a band of ±1 standard deviation when there are
    several; the x-axis spans the sizes that ran. The legend sits right of the axes. A cell
    whose ``metric`` is NaN (a failed fit) is left out of the means, and the title counts
    the cells left out; a size with no other cell is a gap in its line (a marker at each
    mean shows a point between two gaps).

    Parameters
    ----------
    rows : list of dict
        Cells from :func:`skae.studies.run_learning_curve`: ``pipeline``, ``train_size`` and
        the ``metric``.
    metric : {"test_accuracy", "full_test_accuracy"}, default="test_accuracy"
        Accuracy on the paper's 350 test images, or on all 10 000.
    paper_accuracy : dict of str to dict of int to float, default=None
        Published accuracy (%) by pipeline and number of labels (for the seed-0 study,
        ``skae.studies._profiles.PAPER_ACCURACY``), drawn as crosses in the pipeline's colour
        where they fall within the sizes that ran. ``None`` draws none.
    reported_sizes : sequence of int, default=None
        Where to put x ticks (those within the sizes that ran, plus both ends). ``None``: at
        every size that ran when at most 8 did, else at about 6 of them.
    display_names : dict of str to str, default=None
        Legend label of each pipeline; a pipeline not in it is labelled by its name.
    paper_label : str, default="paper"
        Legend label of the crosses.
    show_paper : bool, default=None
        Kept for older calls: ``False`` draws no crosses even with ``paper_accuracy``.
    ax : matplotlib Axes, default=None
        Where to draw; ``None`` makes a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> from skae.plots import plot_learning_curves
    >>> rows = [{"pipeline": "cnn", "train_size": n, "test_accuracy": a}
    ...         for n, a in [(160, 0.8), (480, 0.9), (960, 0.92)]]
    >>> fig = plot_learning_curves(rows, paper_accuracy={"cnn": {160: 68, 960: 84}},
    ...                            reported_sizes=(160, 960), display_names={"cnn": "CNN"})
    >>> ax = fig.axes[0]
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['CNN', 'paper']
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['160', '960']
    """
    fig, ax = _figure_and_axes(ax, (10, 5))
    display_names = display_names or {}
    paper_accuracy = {} if show_paper is False else (paper_accuracy or {})
    rows = _learning_rows(rows, metric)
    _check_any_score(rows, metric)
    paper_accuracy = _checked_accuracies(paper_accuracy, "paper_accuracy")
    ran = sorted({row["train_size"] for row in rows})
    low, high = ran[0], ran[-1]
    n_repeats = 1
    any_paper = False
    for i, name in enumerate(dict.fromkeys(row["pipeline"] for row in rows)):
        color = f"C{i % 10}"
        sizes, scores = _scores_by_size(rows, name, metric)
        mean = 100 * scores.mean(axis=1)
        ax.plot(  # unclipped: the marker of a lone point at either end shows whole
            sizes, mean, "o-", ms=3, color=color, label=display_names.get(name, name), clip_on=False
        )
        if scores.shape[1] > 1:  # masked: a size of one repeat gets no band
            std = 100 * scores.std(axis=1)
            ax.fill_between(sizes, mean - std, mean + std, color=color, alpha=0.2)
            n_repeats = max(n_repeats, scores.count(axis=1).max())  # failed ones not counted
        paper = {n: a for n, a in paper_accuracy.get(name, {}).items() if low <= n <= high}
        if paper:
            any_paper = True
            ax.plot(  # unclipped: a cross at either end of the axis shows whole
                list(paper), list(paper.values()), "x", color=color, markersize=8, clip_on=False
            )
    ax.set(xlabel="labeled training images", ylabel="test accuracy (%)", xscale="log")
    if low < high:  # one size: matplotlib's own margin
        ax.set_xlim(low, high)
    if reported_sizes is not None:
        reported_sizes = [
            _number({"reported_sizes": n}, "reported_sizes", 1, np.inf, "sizes", True)
            for n in reported_sizes
        ]
    ax.set_xticks(_log_ticks(ran, reported_sizes))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(ScalarFormatter())
    handles, _ = ax.get_legend_handles_labels()
    if any_paper:
        handles.append(Line2D([], [], color="gray", marker="x", ls="", label=paper_label))
    spread = f"band: ±1 std over up to {n_repeats} repeats" if n_repeats > 1 else ""
    failed = _failed_note(rows, metric, "cell")
    title = "Frozen pretrained encoders vs CNN (" + "; ".join(filter(None, ("mean", spread))) + ")"
    ax.set_title(title + (failed and f"\n({failed} left out)"))
    ax.grid(alpha=0.3)
    _outside_legend(ax, handles, fontsize="small")
    return fig


_TRAIN_TEST = {"train_accuracy": "train score", "test_accuracy": "test score"}


def plot_cnn_train_test(rows, pipeline="cnn", *, ax=None):
    """Train and test accuracy of one pipeline against train size (seed-0 Fig. 3).

    Uses :class:`sklearn.model_selection.LearningCurveDisplay`. A NaN accuracy (a failed
    fit) is left out of its mean, and the title counts the train and test scores left out;
    a size with no other score is a gap in its line.

    Parameters
    ----------
    rows : list of dict
        Cells from :func:`skae.studies.run_learning_curve`.
    pipeline : str, default="cnn"
        Which pipeline.
    ax : matplotlib Axes, default=None
        Where to draw; ``None`` makes a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> from skae.plots import plot_cnn_train_test
    >>> rows = [{"pipeline": "cnn", "train_size": n, "train_accuracy": 1.0, "test_accuracy": a}
    ...         for n, a in [(160, 0.8), (480, 0.9)]]
    >>> plot_cnn_train_test(rows).axes[0].get_title()
    'cnn: train vs test accuracy'
    """
    rows = _learning_rows(rows, *_TRAIN_TEST)  # checked and converted once
    sizes, train_scores = _scores_by_size(rows, pipeline, "train_accuracy")
    _, test_scores = _scores_by_size(rows, pipeline, "test_accuracy")
    cells = [row for row in rows if row["pipeline"] == pipeline]
    _check_any_score(cells, *_TRAIN_TEST)
    fig, ax = _figure_and_axes(ax, (7, 4.5))
    if len(sizes) == 1:  # LearningCurveDisplay needs two sizes to choose its x scale
        for name, scores in (("Train", train_scores), ("Test", test_scores)):
            ax.errorbar(sizes, scores.mean(axis=1), scores.std(axis=1), fmt="o", label=name)
        ax.set(xlabel="Number of samples in the training set", ylabel="accuracy")
        ax.legend()
    else:
        display = LearningCurveDisplay(
            train_sizes=sizes,
            train_scores=train_scores,
            test_scores=test_scores,
            score_name="accuracy",
        )
        style = "fill_between" if train_scores.shape[1] > 1 else None  # no spread of 1 repeat
        line = {"marker": "o", "ms": 3}  # a size between two without a score shows too
        display.plot(ax=ax, score_type="both", std_display_style=style, line_kw=line)
    failed = ", ".join(filter(None, (_failed_note(cells, *score) for score in _TRAIN_TEST.items())))
    ax.set_title(f"{pipeline}: train vs test accuracy" + (failed and f"\n({failed} left out)"))
    return fig


def plot_ae_losses(autoencoders):
    """Training and validation loss per epoch of each autoencoder (seed-0 Fig. 1).

    Parameters
    ----------
    autoencoders : dict of str to ConvAETransformer
        Fitted autoencoders (untrained ones are skipped); one panel each, on a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skae import ConvAETransformer
    >>> from skae.plots import plot_ae_losses
    >>> X = np.random.default_rng(0).random((64, 784), dtype=np.float32)
    >>> ae = ConvAETransformer(max_epochs=2, random_state=0).fit(X)
    >>> plot_ae_losses({"ae": ae}).axes[0].get_title()
    'ae'
    """
    trained = {n: ae for n, ae in autoencoders.items() if getattr(ae, "loss_curve_", None)}
    if not trained:
        raise ValueError(
            f"None of {sorted(autoencoders)} has trained an epoch: fit them first "
            "(max_epochs >= 1)."
        )
    n = len(trained)
    fig, axes = _subplots(1, n, figsize=(4 * n, 3.5))
    for ax, (name, ae) in zip(axes[0], trained.items()):
        epochs = np.arange(1, len(ae.loss_curve_) + 1)
        ax.plot(epochs, ae.loss_curve_, "o-", label="train")
        validation = ae.validation_loss_curve_
        if validation:  # the last epochs (a warm fit may have turned validation on)
            ax.plot(epochs[len(epochs) - len(validation) :], validation, "s--", label="validation")
        ax.set(title=name, xlabel="epoch", ylabel="loss")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()
    fig.tight_layout()
    return fig


def plot_head_losses(rows, pipeline, *, repeat=0, max_curves=8, ax=None):
    """Head training loss per epoch, one line per train size (seed-0 Fig. 2, 8-11).

    Parameters
    ----------
    rows : list of dict
        Cells from :func:`skae.studies.run_learning_curve`.
    pipeline : str
        Which pipeline (one with a torch head).
    repeat : int, default=0
        Which repeat.
    max_curves : int, default=8
        At most this many train sizes, evenly spread, for readability.
    ax : matplotlib Axes, default=None
        Where to draw; ``None`` makes a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> from skae.plots import plot_head_losses
    >>> rows = [{"pipeline": "p", "train_size": n, "repeat": 0, "loss_curve": [2.0, 1.0]}
    ...         for n in (160, 480)]
    >>> len(plot_head_losses(rows, "p").axes[0].lines)
    2
    """
    if isinstance(max_curves, bool) or not isinstance(max_curves, Integral) or max_curves < 1:
        raise ValueError(f"max_curves must be a positive int, got {max_curves!r}.")
    if isinstance(repeat, bool) or not isinstance(repeat, Integral) or repeat < 0:
        raise ValueError(f"repeat must be an int >= 0, got {repeat!r}.")
    rows = _rows_with(rows, ("pipeline", "repeat", "train_size", "loss_curve"))
    rows = [{**row, "loss_curve": _curve(row["loss_curve"])} for row in _learning_rows(rows)]
    cells = [r for r in rows if (r["pipeline"], r["repeat"]) == (pipeline, repeat)]
    cells = sorted((r for r in cells if len(r["loss_curve"])), key=lambda r: r["train_size"])
    if not cells:
        found = sorted({(str(r["pipeline"]), r["repeat"]) for r in rows if len(r["loss_curve"])})
        raise ValueError(
            f"No head loss curves of pipeline {pipeline!r}, repeat {repeat}; (pipeline, "
            f"repeat) with curves: {found}."
        )
    keep = np.unique(np.linspace(0, len(cells) - 1, min(max_curves, len(cells))).astype(int))
    fig, ax = _figure_and_axes(ax, (7, 4.5))
    colors = colormaps["viridis"](np.linspace(0, 1, max(1, len(keep))))
    for color, i in zip(colors, keep):
        curve = cells[i]["loss_curve"]
        ax.plot(np.arange(1, len(curve) + 1), curve, color=color, label=str(cells[i]["train_size"]))
    ax.set(title=f"{pipeline}: head training loss", xlabel="epoch", ylabel="cross-entropy")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(title="labels", fontsize="small")
    return fig


def plot_confusion_matrix(y_true, y_pred, *, title=None, ax=None):
    """Confusion matrix of test predictions (seed-0 Fig. 5).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Test labels and a classifier's predictions of them.
    title : str, default=None
        Put before the accuracy in the title.
    ax : matplotlib Axes, default=None
        Where to draw; ``None`` makes a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> from skae.plots import plot_confusion_matrix
    >>> plot_confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], title="toy:").axes[0].get_title()
    'toy: accuracy 75.0 %'
    """
    fig, ax = _figure_and_axes(ax, (6, 5.5))
    display = ConfusionMatrixDisplay.from_predictions(y_true, y_pred, ax=ax, colorbar=False)
    accuracy = np.trace(display.confusion_matrix) / display.confusion_matrix.sum()
    ax.set_title(f"{title or ''} accuracy {100 * accuracy:.1f} %".strip())
    return fig


def plot_reconstructions(autoencoder, X, *, n_images=8, title=None):
    """Original images (top row) and their reconstructions (bottom row) (seed-0 Fig. 6-7).

    Images are drawn in the autoencoder's ``image_shape_``: grey for one channel, colour
    for three.

    Parameters
    ----------
    autoencoder : fitted ConvAETransformer
    X : array of shape (n_samples, n_features) or (n_samples, [C,] H, W)
        Images; the first ``n_images`` are shown.
    n_images : int, default=8
        At least 1.
    title : str, default=None

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skae import ConvAETransformer
    >>> from skae.plots import plot_reconstructions
    >>> X = np.random.default_rng(0).random((8, 784), dtype=np.float32)
    >>> ae = ConvAETransformer(max_epochs=0, random_state=0).fit(X)
    >>> len(plot_reconstructions(ae, X, n_images=4).axes)
    8

    Colour images are drawn in colour, in the autoencoder's ``image_shape_``:

    >>> X_rgb = np.random.default_rng(0).random((4, 3 * 8 * 8), dtype=np.float32)
    >>> ae_rgb = ConvAETransformer(image_shape=(3, 8, 8), max_epochs=0).fit(X_rgb)
    >>> plot_reconstructions(ae_rgb, X_rgb).axes[0].images[0].get_array().shape
    (8, 8, 3)
    """
    X = _first_images(X, n_images)
    reconstructed = autoencoder.reconstruct(X)
    mse = float(np.mean((reconstructed - X) ** 2))
    return _image_grid(
        [X, reconstructed],
        autoencoder.image_shape_,
        ["original", "decoded"],
        f"{title or 'reconstructions'} (MSE {mse:.4f})",
    )


def _first_images(X, n_images):
    """The first ``n_images`` images of ``X`` (rows or image-shaped), as float32 rows."""
    if not (isinstance(n_images, (int, np.integer)) and n_images >= 1):
        raise ValueError(f"n_images must be a positive int, got {n_images!r}.")
    X = np.asarray(X, dtype=np.float32)
    if X.ndim < 2 or not len(X):
        raise ValueError(
            f"X must hold images, one per row (or image-shaped), got shape {X.shape}; "
            "one image: X[None]."
        )
    return X[:n_images].reshape(min(n_images, len(X)), -1)


def _image_grid(rows, image_shape, row_labels, title):
    """Rows of flattened images drawn as a grid, one labelled row per array."""
    n_columns = max(len(row) for row in rows)
    fig, axes = _subplots(len(rows), n_columns, figsize=(1.2 * n_columns, 1.3 * len(rows) + 0.4))
    for axes_row, images, label in zip(axes, rows, row_labels):
        for ax, image in zip(axes_row, images):
            pixels, style = _picture(image, image_shape)
            ax.imshow(pixels, **style)
        for ax in axes_row:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.spines[:].set_visible(False)
        axes_row[0].set_ylabel(label, fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _picture(image, image_shape):
    """``(pixels, imshow keywords)`` of one flattened (C, H, W) image.

    One channel: an (H, W) array in grey. Three or four (RGB, RGBA): (H, W, C), channels
    last as ``imshow`` wants them, clipped to [0, 1]. Other channel counts: their mean, grey.
    """
    channels = image_shape[0]
    pixels = np.reshape(image, image_shape)
    if channels in (3, 4):
        return np.clip(pixels.transpose(1, 2, 0), 0, 1), {}
    return pixels.mean(axis=0), {"cmap": "gray", "vmin": 0, "vmax": 1}


def _resolve_image_shape(n_features, image_shape):
    """``image_shape`` checked against ``n_features``; ``None``: a square grey image."""
    if image_shape is not None:
        image_shape = tuple(int(size) for size in image_shape)
        if len(image_shape) != 3 or math.prod(image_shape) != n_features:
            raise ValueError(
                f"image_shape={image_shape} does not fit images of {n_features} features: "
                "give (channels, height, width) with channels x height x width = n_features."
            )
        return image_shape
    side = math.isqrt(n_features)
    if side * side != n_features:
        raise ValueError(
            f"Images of {n_features} features are not square single-channel ones: pass "
            "image_shape=(channels, height, width), e.g. (3, 32, 32) for 32x32 RGB."
        )
    return (1, side, side)


def plot_noise_examples(X, *, n_images=6, random_state=0, image_shape=None):
    """Clean images and the three corruptions of :mod:`skae.noise` (seed-1 Fig. 3).

    Parameters
    ----------
    X : array of shape (n_samples, n_features) or (n_samples, [C,] H, W)
        Images in [0, 1]; the first ``n_images`` are shown. Image-shaped ``X`` gives
        ``image_shape`` when it is ``None``.
    n_images : int, default=6
        At least 1.
    random_state : int, default=0
        Seeds the noise.
    image_shape : tuple of 3 ints, default=None
        ``(channels, height, width)`` of each image: one channel is drawn in grey, three in
        colour. ``None`` takes a square grey image (28x28 for MNIST's 784 features) and
        raises for any other number of features.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skae.plots import plot_noise_examples
    >>> X = np.random.default_rng(0).random((6, 784), dtype=np.float32)
    >>> len(plot_noise_examples(X).axes)
    24
    >>> X_rgb = np.random.default_rng(0).random((3, 3 * 16 * 16), dtype=np.float32)
    >>> fig = plot_noise_examples(X_rgb, image_shape=(3, 16, 16))
    >>> fig.axes[0].images[0].get_array().shape
    (16, 16, 3)
    """
    if image_shape is None and np.ndim(X) in (3, 4):  # (n, H, W) or (n, C, H, W)
        image_shape = (1, *np.shape(X)[1:]) if np.ndim(X) == 3 else np.shape(X)[1:]
        if np.ndim(X) == 4 and image_shape[0] not in (1, 3, 4) and np.shape(X)[3] in (1, 3, 4):
            raise ValueError(
                f"X of shape {np.shape(X)} looks channels last: give (n, C, H, W), e.g. "
                "X.transpose(0, 3, 1, 2)."
            )
    X = _first_images(X, n_images)
    image_shape = _resolve_image_shape(X.shape[1], image_shape)
    noisy = [add_noise(X, kind, random_state=random_state) for kind in NOISE_TYPES]
    return _image_grid([X, *noisy], image_shape, ["clean", *NOISE_TYPES], "Noise types")


def plot_denoising(autoencoder, X, kind, *, n_images=8, random_state=0):
    """Clean, corrupted and reconstructed images of a denoising autoencoder (seed-1 Fig. 4).

    Parameters
    ----------
    autoencoder : fitted ConvAETransformer
    X : array of shape (n_samples, n_features) or (n_samples, [C,] H, W)
        Clean images; the first ``n_images`` are shown.
    kind : {"gaussian", "salt_pepper", "speckle"}
        Noise applied before reconstruction.
    n_images : int, default=8
        At least 1.
    random_state : int, default=0

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skae import ConvAETransformer
    >>> from skae.plots import plot_denoising
    >>> X = np.random.default_rng(0).random((16, 784), dtype=np.float32)
    >>> ae = ConvAETransformer(latent_dim=4, noise="speckle", max_epochs=1).fit(X)
    >>> len(plot_denoising(ae, X, "speckle", n_images=4).axes)
    12
    """
    X = _first_images(X, n_images)
    noisy = add_noise(X, kind, random_state=random_state)
    rebuilt = autoencoder.reconstruct(noisy)
    mse = float(np.mean((rebuilt - X) ** 2))
    return _image_grid(
        [X, noisy, rebuilt],
        autoencoder.image_shape_,
        ["clean", kind, "denoised"],
        f"Denoising {kind} noise (MSE to clean {mse:.4f})",
    )


def plot_interpolation(vae, x_start, x_end, *, steps=10):
    """Images decoded along the line between two latent codes (seed-1 Fig. 6).

    Parameters
    ----------
    vae : fitted VAETransformer or ConvAETransformer
    x_start, x_end : array of shape (n_features,)
    steps : int, default=10

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skae import VAETransformer
    >>> from skae.plots import plot_interpolation
    >>> X = np.random.default_rng(0).random((16, 784), dtype=np.float32)
    >>> vae = VAETransformer(latent_dim=2, max_epochs=1, random_state=0).fit(X)
    >>> len(plot_interpolation(vae, X[0], X[1], steps=5).axes)
    5
    """
    images = vae.interpolate(x_start, x_end, steps=steps)
    return _image_grid([images], vae.image_shape_, ["x_start → x_end"], "Latent interpolation")


def plot_latent_space(codes, labels, *, method="pca", random_state=0, title=None, ax=None):
    """Latent codes in 2-D, coloured by class (seed-1 Fig. 9-12).

    Parameters
    ----------
    codes : array of shape (n_samples, n_latent)
        Output of an autoencoder's ``transform``.
    labels : array of shape (n_samples,)
        Class of each sample (colour only; never used to fit anything).
    method : {"pca", "tsne", None}, default="pca"
        Projection to 2-D with sklearn's ``PCA`` or ``TSNE``; ``None`` plots the first two
        coordinates (for a 2-D latent space).
    random_state : int, default=0
    title : str, default=None
    ax : matplotlib Axes, default=None
        Where to draw; ``None`` makes a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skae.plots import plot_latent_space
    >>> codes = np.random.default_rng(0).normal(size=(50, 5))
    >>> plot_latent_space(codes, np.arange(50) % 10).axes[0].get_xlabel()
    'PCA 1'
    """
    codes = np.asarray(codes)
    if method not in ("pca", "tsne", None):
        raise ValueError(f"method must be 'pca', 'tsne' or None, got {method!r}.")
    if codes.ndim != 2 or codes.shape[1] < 2:
        raise ValueError(f"codes must be of shape (n_samples, >= 2), got {codes.shape}.")
    if method == "pca":
        points = PCA(n_components=2, random_state=random_state).fit_transform(codes)
    elif method == "tsne":
        points = TSNE(n_components=2, init="pca", random_state=random_state).fit_transform(codes)
    else:
        points = codes[:, :2]
    fig, ax = _figure_and_axes(ax, (6, 5))
    classes, codes_of_class = np.unique(np.asarray(labels), return_inverse=True)  # any labels
    if len(codes_of_class) != len(points):
        raise ValueError(f"{len(points)} codes but {len(codes_of_class)} labels.")
    scatter = ax.scatter(points[:, 0], points[:, 1], c=codes_of_class, cmap="tab10", s=6)
    handles, _ = scatter.legend_elements(num=None)
    ax.legend(handles, classes.tolist(), title="class", fontsize="small", loc="best")
    name = {"pca": "PCA", "tsne": "t-SNE"}.get(method, "latent")
    ax.set(xlabel=f"{name} 1", ylabel=f"{name} 2", title=title or f"{name} of the latent codes")
    return fig


def plot_search_results(cv_results, *, score="mean_test_score", ax=None):
    """Parallel coordinates of a hyperparameter search, coloured by score (seed-1 Fig. 13).

    Learning rates (``lr``, ``encoder_lr``, also a pipeline step's: ``clf__lr``) are drawn
    on a log scale, other numbers linearly, text in sorted order. Candidates whose score is
    NaN (failed fits) are left out, and counted in the title.

    Parameters
    ----------
    cv_results : dict
        ``cv_results_`` of a fitted ``GridSearchCV`` / ``RandomizedSearchCV``.
    score : str, default="mean_test_score"
    ax : matplotlib Axes, default=None
        Where to draw; ``None`` makes a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> from skae.plots import plot_search_results
    >>> results = {"params": [{"lr": 1e-3, "optimizer": "adam"}, {"lr": 1e-2, "optimizer": "sgd"}],
    ...            "mean_test_score": [-0.02, -0.05]}
    >>> [t.get_text() for t in plot_search_results(results).axes[0].get_xticklabels()]
    ['lr', 'optimizer', 'mean_test_score']
    """
    params, scores = list(cv_results["params"]), list(cv_results[score])
    if len(params) != len(scores):
        raise ValueError(f"{len(params)} candidates in params but {len(scores)} {score}.")
    scores = np.array([_number({score: v}, score, -np.inf, np.inf, "scores", missing=np.nan,
                               nan_ok=True) for v in scores])  # fmt: skip
    finite = np.isfinite(scores)  # a failed candidate (error_score=nan) is left out
    if not finite.any():
        raise ValueError(f"No candidate has a finite {score}: nothing to draw.")
    params, scores = [p for p, ok in zip(params, finite) if ok], scores[finite]
    names = sorted({name for p in params for name in p})
    columns = []
    for name in names:
        values = [p.get(name) for p in params]
        if all(isinstance(v, Real) and not isinstance(v, bool) for v in values):
            if not all(map(math.isfinite, values)):  # would silently break the candidate's line
                raise ValueError(f"{name} holds {min(values, key=math.isfinite)!r}: not finite.")
            log = _log_scaled(name)
            if log and min(values) <= 0:
                raise ValueError(f"{name} holds {min(values)!r}: drawn on a log scale, > 0.")
            numbers = np.log10(values) if log else np.asarray(values, dtype=float)
        else:
            categories = sorted(set(map(str, values)))
            numbers = np.array([categories.index(str(v)) for v in values], dtype=float)
        columns.append(numbers)
    columns.append(scores)
    table = np.column_stack(columns)
    span = np.ptp(table, axis=0)
    scaled = (table - table.min(axis=0)) / np.where(span > 0, span, 1)
    fig, ax = _figure_and_axes(ax, (8, 4.5))
    colors = colormaps["viridis"]((scores - scores.min()) / (np.ptp(scores) or 1))
    for row, color in zip(scaled, colors):
        ax.plot(range(len(row)), row, color=color, alpha=0.7)
    ax.set_xticks(range(len(names) + 1), [*names, score])
    ax.set_yticks([])
    failed = _n_failed(int((~finite).sum()), "candidate")
    left_out = f"; {failed} left out" if failed else ""
    logs = [name for name in names if _log_scaled(name)]
    on_log = f"{', '.join(logs)} on a log scale; " if logs else ""
    ax.set_title(f"Hyperparameter search ({on_log}yellow = best{left_out})")
    return fig


def _log_scaled(name):
    """Whether a searched parameter is drawn on a log scale: learning rates span decades
    (``lr``, ``encoder_lr``, a pipeline step's ``clf__lr``)."""
    return name.rpartition("__")[2] in ("lr", "encoder_lr")


_ANCHOR_MARKERS = ("s", "^", "D", "v", "P", "*", "X", "p", "h", "<", ">", "d")


_TRUE, _FALSE = {"true", "t", "yes", "y", "on", "1"}, {"false", "f", "no", "n", "off", "0"}
_REQUIRED = object()


def _few_label_row(row):
    """One summary row with numbers and booleans as such (``csv.DictReader`` gives strings),
    each checked: a value that would draw a wrong figure is a ``ValueError`` naming it."""
    mean = _number(row, "mean_accuracy", 0, 1, "give accuracies as fractions")
    std = _number(row, "std_accuracy", 0, 1, "a fraction, as mean_accuracy", missing=0.0)
    n_draws = _number(row, "n_draws", 1, np.inf, "a count of draws", integral=True, missing=None)
    return {
        **{key: _text(row, key) for key in ("dataset", "method", "representation")},
        "n_labels": _number(row, "n_labels", 1, np.inf, "a budget of labels", integral=True),
        "mean": 100 * mean,
        "std": 100 * std,
        "n_draws": n_draws,
        "transductive": _boolean(row["transductive"], "transductive"),
    }


def _number(row, key, low, high, meaning, integral=False, missing=_REQUIRED, nan_ok=False):
    """``row[key]`` as a number in [low, high] (an int if ``integral``; NaN if ``nan_ok``: a
    failed cell); ``missing`` when absent or empty, if given."""
    value = row.get(key)
    if _missing(value) and (missing is not _REQUIRED or not isinstance(value, Real)):
        if missing is _REQUIRED:
            raise ValueError(f"{key} is empty ({meaning}).")
        return missing
    try:
        if isinstance(value, (bool, np.bool_)):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} holds {value!r}: not a number ({meaning}).") from None
    if nan_ok and np.isnan(number):
        return number
    if not low <= number <= high or (integral and not number.is_integer()):
        kind = "a whole number" if integral else "a number"
        raise ValueError(f"{key} holds {value!r}: {kind} in [{low}, {high}] ({meaning}).")
    return int(number) if integral else number


def _missing(value):
    """Whether a record's value is absent: ``None``, empty text, or NaN / ``pandas.NA`` (the
    empty cells of ``DataFrame.to_dict("records")``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    try:
        return bool(value != value)  # NaN, NaT
    except (TypeError, ValueError):  # pandas.NA refuses bool(); arrays are values
        return type(value).__name__ == "NAType"


def _text(row, key):
    """``row[key]``: a name, so a non-empty string."""
    if not isinstance(row[key], str) or not row[key].strip():
        raise ValueError(f"{key} holds {row[key]!r}: a name.")
    return row[key]


def _boolean(value, key):
    """``value`` (``row[key]``) as a bool: booleans, 0 / 1, or their usual spellings in text."""
    if isinstance(value, (bool, np.bool_)) or (
        isinstance(value, (int, np.integer)) and value in (0, 1)
    ):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"{key} holds {value!r}: True or False.")


def _few_label_rows(rows):
    """The rows checked and converted, outdated ones († in the tables: computed by older
    code) left out; two rows for one point (two runs' summaries mixed, e.g. two precisions)
    would draw a zigzag through both: an error."""
    keys = ("dataset", "method", "representation", "n_labels", "mean_accuracy", "transductive")
    rows = _rows_with(rows, keys)
    rows = [
        _few_label_row(row)
        for row in rows
        if _missing(row.get("outdated")) or not _boolean(row["outdated"], "outdated")
    ]
    if not rows:
        raise ValueError("Every row is outdated (computed by older code): nothing to draw.")
    seen = set()
    for row in rows:
        point = tuple(row[k] for k in ("dataset", "method", "representation", "n_labels"))
        if (point, row["transductive"]) in seen:
            raise ValueError(f"Two rows for {point}: give one summary's rows.")
        seen.add((point, row["transductive"]))
    return rows


def _checked_anchors(anchors):
    """``{dataset: {label: ({n_labels: accuracy %}, transductive)}}`` checked."""
    checked = {}
    for dataset, marks in (anchors or {}).items():
        for label, mark in marks.items():
            if not (isinstance(mark, (tuple, list)) and len(mark) == 2):
                raise ValueError(
                    f"anchors[{dataset!r}][{label!r}] holds {mark!r}: a pair "
                    "({n_labels: accuracy %}, transductive)."
                )
            [values] = _checked_accuracies({label: mark[0]}, "anchors").values()
            checked.setdefault(dataset, {})[label] = values, _boolean(mark[1], "transductive")
    return checked


def _lookup(mapping, method, representation):
    """``mapping[(method, representation)]``, else ``mapping[method]``, else ``None``."""
    if not mapping:
        return None
    if (method, representation) in mapping:
        return mapping[(method, representation)]
    return mapping.get(method)


def _best_lines(lines):
    """The lines to draw for a family: the one with the highest mean accuracy over the
    budgets they all ran, or every line when no budget is shared (nothing to compare on).

    ``lines`` maps a key to its points ``{n_labels: mean}``.
    """
    common = set.intersection(*(set(points) for points in lines.values()))
    if not common:
        return list(lines)
    return [max(lines, key=lambda key: np.mean([lines[key][n] for n in common]))]


def _draw_line(ax, rows, color, transductive, label):
    """One method's mean accuracy against labels, with a ±1 std band where draws vary."""
    rows = sorted(rows, key=lambda r: r["n_labels"])
    n, mean = [r["n_labels"] for r in rows], np.array([r["mean"] for r in rows])
    ls = "--" if transductive else "-"
    ax.plot(n, mean, marker="o", markersize=4, color=color, ls=ls, label=label)
    drawn = np.array([r["n_draws"] is None or r["n_draws"] > 1 for r in rows])
    if drawn.any():
        std = np.where(drawn, [r["std"] for r in rows], 0)
        ax.fill_between(n, mean - std, mean + std, color=color, alpha=0.15, lw=0)


def plot_few_labels(rows, *, anchors=None, families=None, display_names=None, titles=None):
    """Few-label study: mean test accuracy against labels, one panel per data set.

    Each line is one method on one representation: its mean accuracy over the labeled draws,
    with a band of ±1 standard deviation where there were several draws. Solid lines are
    inductive, dashed ones transductive (the test images were in the graph). With
    ``families``, only the best line of each family is drawn (best inductive and best
    transductive separately), coloured by family alike in every panel; the full table stays
    in the rows. X ticks are the label budgets; published results are markers (hollow when
    transductive); the legend sits under each panel, off the data.

    Parameters
    ----------
    rows : list of dict
        Summary rows of :func:`skae.studies.run_few_labels` (``summary.json``, or the rows of
        ``summary.csv`` as ``csv.DictReader`` reads them): ``dataset``, ``method``,
        ``representation``, ``n_labels``, ``mean_accuracy``, ``std_accuracy``, ``n_draws``
        and ``transductive``; accuracies as fractions. Rows marked ``outdated`` (computed by
        older code, † in the tables) are left out. An empty text, ``None``, NaN or
        ``pandas.NA`` (``DataFrame.to_dict("records")``) is a missing value: no band for
        ``std_accuracy``, not outdated; a required one missing is an error.
    anchors : dict, default=None
        Published results to mark, ``{dataset: {label: ({n_labels: accuracy %},
        transductive)}}``; a data set not in it gets none.
    families : dict, default=None
        Family label of each method, keyed by method name or by ``(method, representation)``
        (which wins), e.g. ``{"cnn": "from scratch", "fine_tuned": "fine-tuned"}``. The best
        line of a family is the one with the highest mean accuracy over the budgets they all
        ran; when they share none, each is drawn. A line whose method has no family is drawn
        on its own. ``None``: every line is drawn.
    display_names : dict, default=None
        Legend label of a line, keyed by ``(method, representation)`` or by method name;
        a line not in it is labelled ``"<method> on <representation>"``.
    titles : dict of str to str, default=None
        Panel title of each data set, e.g. ``{"mnist": "MNIST", "fashion": "FashionMNIST"}``;
        panels come in its order, then the data sets it does not name (titled by their name)
        in the order of the rows.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Raises
    ------
    ValueError
        No rows (or only outdated ones), a row without a needed key, a value that would draw
        a wrong figure (an accuracy or std outside [0, 1], e.g. a percentage; a budget or draw
        count that is not a whole number >= 1; ``transductive`` not a boolean), or two rows
        for one point (two summaries mixed).

    Examples
    --------
    >>> from skae.plots import plot_few_labels
    >>> def row(method, representation, n, accuracy, transductive=False):
    ...     return {"dataset": "mnist", "method": method, "representation": representation,
    ...             "n_labels": n, "mean_accuracy": accuracy, "std_accuracy": 0.01,
    ...             "n_draws": 5, "transductive": transductive}
    >>> rows = [row("cnn", "pixels", 100, 0.80), row("cnn", "pixels", 1000, 0.95),
    ...         row("frozen_svc", "pixels", 100, 0.70), row("frozen_svc", "pixels", 1000, 0.90),
    ...         row("poisson", "codes", 100, 0.96, True), row("poisson", "codes", 1000, 0.97, True)]
    >>> fig = plot_few_labels(
    ...     rows,
    ...     families={"cnn": "from scratch", "frozen_svc": "from scratch", "poisson": "graph"},
    ...     display_names={"cnn": "CNN", ("poisson", "codes"): "Poisson learning on codes"},
    ...     anchors={"mnist": {"ladder networks": ({100: 98.9}, False)}},
    ...     titles={"mnist": "MNIST"},
    ... )
    >>> ax = fig.axes[0]
    >>> ax.get_title()
    'MNIST'
    >>> for text in ax.get_legend().get_texts():
    ...     print(text.get_text())
    from scratch: CNN
    graph: Poisson learning on codes (transductive)
    published: ladder networks
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['100', '1000']
    """
    rows = _few_label_rows(rows)
    anchors = _checked_anchors(anchors)
    titles = titles or {}
    datasets = list(dict.fromkeys(row["dataset"] for row in rows))
    datasets.sort(key=lambda d: list(titles).index(d) if d in titles else len(titles))

    def group(method, representation):  # a family, or the line itself when it has none
        family = _lookup(families, method, representation)
        return (method, representation) if family is None else family

    points = {}  # (dataset, group, transductive) -> {(method, representation): [rows]}
    for row in rows:
        line = (row["method"], row["representation"])
        key = (row["dataset"], group(*line), row["transductive"])
        points.setdefault(key, {}).setdefault(line, []).append(row)
    # colours by group, the same in every panel; families in the order the dict gives them
    order = list(dict.fromkeys([*(families or {}).values(), *(key[1] for key in points)]))
    order = [g for g in order if any(key[1] == g for key in points)]
    palette = colormaps["tab10" if len(order) <= 10 else "tab20"]
    colors = {g: palette(i % palette.N) for i, g in enumerate(order)}
    anchor_labels = list(dict.fromkeys(label for d in datasets for label in anchors.get(d, {})))
    markers = {
        label: _ANCHOR_MARKERS[i % len(_ANCHOR_MARKERS)] for i, label in enumerate(anchor_labels)
    }

    n_entries = max(sum(key[0] == d for key in points) + len(anchors.get(d, {})) for d in datasets)
    height = 4.2 + 0.2 * n_entries + 0.6
    fig, axes = _subplots(
        1, len(datasets), figsize=(6.5 * len(datasets), height), layout="constrained"
    )
    for ax, dataset in zip(axes[0], datasets):
        keys = [key for key in points if key[0] == dataset]
        keys.sort(key=lambda key: (order.index(key[1]), key[2]))
        for key in keys:
            _, grp, transductive = key
            candidates = points[key]
            for best in _best_lines(
                {line: {r["n_labels"]: r["mean"] for r in pts} for line, pts in candidates.items()}
            ):
                name = _lookup(display_names, *best) or f"{best[0]} on {best[1]}"
                label = name if isinstance(grp, tuple) else f"{grp}: {name}"
                label += " (transductive)" if transductive else ""
                _draw_line(ax, candidates[best], colors[grp], transductive, label)
        for label, (values, transductive) in anchors.get(dataset, {}).items():
            n = sorted(values)
            ax.plot(
                n,
                [values[k] for k in n],
                ls="",
                marker=markers[label],
                markersize=7,
                color="0.15",
                markerfacecolor="none" if transductive else "0.15",
                label=f"published: {label}" + (" (transductive)" if transductive else ""),
            )
        budgets = sorted({row["n_labels"] for row in rows if row["dataset"] == dataset})
        ax.set_xscale("log")
        ax.set_xticks(budgets, [str(n) for n in budgets])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set(
            xlabel="labeled training images (log scale)",
            ylabel="test accuracy (%)",
            title=titles.get(dataset, dataset),
        )
        ax.grid(alpha=0.3)
        handles, _ = ax.get_legend_handles_labels()
        _outside_legend(ax, handles, below=True, fontsize="small")
    return fig
