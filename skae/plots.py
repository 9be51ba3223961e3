"""Figures of the studies: each function takes fitted objects or result rows, returns a Figure.

Single-panel plots draw on ``ax`` when given one (else on a new figure); pyplot is imported
only when a new figure is made.
"""

import numpy as np
from matplotlib import colormaps
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, ScalarFormatter
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import LearningCurveDisplay

from .noise import NOISE_TYPES, add_noise
from .studies._profiles import PAPER_ACCURACY, REPORTED_SIZES

__all__ = [
    "plot_ae_losses",
    "plot_cnn_train_test",
    "plot_confusion_matrix",
    "plot_denoising",
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
    """``(sizes, scores)`` with scores of shape (n_sizes, n_repeats) for one pipeline."""
    by_size = {}
    for row in rows:
        if row["pipeline"] == pipeline:
            by_size.setdefault(row["train_size"], []).append(row[metric])
    sizes = sorted(by_size)
    n_repeats = min(len(by_size[s]) for s in sizes)
    return np.array(sizes), np.array([by_size[s][:n_repeats] for s in sizes])


def plot_learning_curves(rows, *, metric="test_accuracy", show_paper=True, ax=None):
    """Test accuracy against the number of labels, every pipeline (seed-0 Fig. 4).

    Lines are means over repeats, with a band of ±1 standard deviation when there are
    several; the x-axis spans the sizes that ran.

    Parameters
    ----------
    rows : list of dict
        Cells from :func:`skae.studies.run_learning_curve`.
    metric : {"test_accuracy", "full_test_accuracy"}, default="test_accuracy"
        Accuracy on the paper's 350 test images, or on all 10 000.
    show_paper : bool, default=True
        Mark the paper's reported accuracies (at 160, 960 and 8000 labels) as crosses, where
        they fall within the sizes that ran.
    ax : matplotlib Axes, default=None
        Where to draw; ``None`` makes a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> from skae.plots import plot_learning_curves
    >>> rows = [{"pipeline": "cnn", "train_size": n, "test_accuracy": a}
    ...         for n, a in [(160, 0.8), (480, 0.9)]]
    >>> fig = plot_learning_curves(rows)
    >>> fig.axes[0].get_xlabel(), [float(x) for x in fig.axes[0].get_xlim()]
    ('labeled training images', [160.0, 480.0])
    """
    fig, ax = _figure_and_axes(ax, (8, 5))
    ran = sorted({row["train_size"] for row in rows})
    low, high = ran[0], ran[-1]
    n_repeats = 1
    for i, name in enumerate(dict.fromkeys(row["pipeline"] for row in rows)):
        color = f"C{i}"
        sizes, scores = _scores_by_size(rows, name, metric)
        mean = 100 * scores.mean(axis=1)
        ax.plot(sizes, mean, color=color, label=name)
        if scores.shape[1] > 1:
            std = 100 * scores.std(axis=1)
            ax.fill_between(sizes, mean - std, mean + std, color=color, alpha=0.2)
            n_repeats = max(n_repeats, scores.shape[1])
        paper = {n: a for n, a in PAPER_ACCURACY.get(name, {}).items() if low <= n <= high}
        if show_paper and paper:
            ax.plot(list(paper), list(paper.values()), "x", color=color, markersize=8)
    ax.set(xlabel="labeled training images", ylabel="test accuracy (%)", xscale="log")
    ax.set_xlim(low, high)
    ax.set_xticks(sorted({low, high, *(s for s in REPORTED_SIZES if low <= s <= high)}))
    ax.set_xticks([], minor=True)
    ax.xaxis.set_major_formatter(ScalarFormatter())
    handles, _ = ax.get_legend_handles_labels()
    if show_paper and any(low <= n <= high for acc in PAPER_ACCURACY.values() for n in acc):
        handles.append(Line2D([], [], color="gray", marker="x", ls="", label="paper (seed-0)"))
    spread = f"; band: ±1 std over {n_repeats} repeats" if n_repeats > 1 else ""
    ax.set_title(f"Frozen pretrained encoders vs CNN (mean{spread})")
    ax.grid(alpha=0.3)
    ax.legend(handles=handles, fontsize="small")
    return fig


def plot_cnn_train_test(rows, pipeline="cnn", *, ax=None):
    """Train and test accuracy of one pipeline against train size (seed-0 Fig. 3).

    Uses :class:`sklearn.model_selection.LearningCurveDisplay`.

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
    sizes, train_scores = _scores_by_size(rows, pipeline, "train_accuracy")
    _, test_scores = _scores_by_size(rows, pipeline, "test_accuracy")
    fig, ax = _figure_and_axes(ax, (7, 4.5))
    display = LearningCurveDisplay(
        train_sizes=sizes,
        train_scores=train_scores,
        test_scores=test_scores,
        score_name="accuracy",
    )
    style = "fill_between" if train_scores.shape[1] > 1 else None  # no spread of 1 repeat
    display.plot(ax=ax, score_type="both", std_display_style=style)
    ax.set_title(f"{pipeline}: train vs test accuracy")
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
    trained = {name: ae for name, ae in autoencoders.items() if ae.loss_curve_}
    n = max(1, len(trained))
    fig, axes = _subplots(1, n, figsize=(4 * n, 3.5))
    for ax, (name, ae) in zip(axes[0], trained.items()):
        epochs = np.arange(1, len(ae.loss_curve_) + 1)
        ax.plot(epochs, ae.loss_curve_, "o-", label="train")
        if ae.validation_loss_curve_:
            ax.plot(epochs, ae.validation_loss_curve_, "s--", label="validation")
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
    cells = [r for r in rows if (r["pipeline"], r["repeat"]) == (pipeline, repeat)]
    cells = sorted((r for r in cells if r["loss_curve"]), key=lambda r: r["train_size"])
    keep = np.unique(np.linspace(0, len(cells) - 1, min(max_curves, len(cells))).astype(int))
    fig, ax = _figure_and_axes(ax, (7, 4.5))
    colors = colormaps["viridis"](np.linspace(0, 1, max(1, len(keep))))
    for color, i in zip(colors, keep):
        curve = cells[i]["loss_curve"]
        ax.plot(np.arange(1, len(curve) + 1), curve, color=color, label=f"{cells[i]['train_size']}")
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

    Parameters
    ----------
    autoencoder : fitted ConvAETransformer
    X : array of shape (n_samples, n_features)
        Flattened images; the first ``n_images`` are shown.
    n_images : int, default=8
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
    """
    X = np.asarray(X[:n_images], dtype=np.float32)
    reconstructed = autoencoder.reconstruct(X)
    mse = float(np.mean((reconstructed - X) ** 2))
    return _image_grid(
        [X, reconstructed],
        autoencoder.image_shape_,
        ["original", "decoded"],
        f"{title or 'reconstructions'} (MSE {mse:.4f})",
    )


def _image_grid(rows, image_shape, row_labels, title):
    """Rows of flattened images drawn as a grid, one labelled row per array."""
    _, height, width = image_shape
    n_columns = max(len(row) for row in rows)
    fig, axes = _subplots(len(rows), n_columns, figsize=(1.2 * n_columns, 1.3 * len(rows) + 0.4))
    for axes_row, images, label in zip(axes, rows, row_labels):
        for ax, image in zip(axes_row, images):
            ax.imshow(np.reshape(image, (height, width)), cmap="gray", vmin=0, vmax=1)
        for ax in axes_row:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.spines[:].set_visible(False)
        axes_row[0].set_ylabel(label, fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_noise_examples(X, *, n_images=6, random_state=0):
    """Clean images and the three corruptions of :mod:`skae.noise` (seed-1 Fig. 3).

    Parameters
    ----------
    X : array of shape (n_samples, 784)
        Flattened 28x28 images in [0, 1]; the first ``n_images`` are shown.
    n_images : int, default=6
    random_state : int, default=0
        Seeds the noise.

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
    """
    X = np.asarray(X[:n_images], dtype=np.float32)
    noisy = [add_noise(X, kind, random_state=random_state) for kind in NOISE_TYPES]
    return _image_grid([X, *noisy], (1, 28, 28), ["clean", *NOISE_TYPES], "Noise types")


def plot_denoising(autoencoder, X, kind, *, n_images=8, random_state=0):
    """Clean, corrupted and reconstructed images of a denoising autoencoder (seed-1 Fig. 4).

    Parameters
    ----------
    autoencoder : fitted ConvAETransformer
    X : array of shape (n_samples, n_features)
        Clean flattened images; the first ``n_images`` are shown.
    kind : {"gaussian", "salt_pepper", "speckle"}
        Noise applied before reconstruction.
    n_images : int, default=8
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
    X = np.asarray(X[:n_images], dtype=np.float32)
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
    return _image_grid([images], vae.image_shape_, [""], "Latent interpolation")


def plot_latent_space(codes, labels, *, method="pca", random_state=0, title=None, ax=None):
    """Latent codes in 2-D, coloured by digit (seed-1 Fig. 9-12).

    Parameters
    ----------
    codes : array of shape (n_samples, n_latent)
        Output of an autoencoder's ``transform``.
    labels : array of shape (n_samples,)
        Digit of each sample (colour only; never used to fit anything).
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
    if method == "pca":
        points = PCA(n_components=2, random_state=random_state).fit_transform(codes)
    elif method == "tsne":
        points = TSNE(n_components=2, init="pca", random_state=random_state).fit_transform(codes)
    else:
        points = codes[:, :2]
    fig, ax = _figure_and_axes(ax, (6, 5))
    scatter = ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", s=6)
    ax.legend(*scatter.legend_elements(), title="digit", fontsize="small", loc="best")
    name = {"pca": "PCA", "tsne": "t-SNE"}.get(method, "latent")
    ax.set(xlabel=f"{name} 1", ylabel=f"{name} 2", title=title or f"{name} of the latent codes")
    return fig


def plot_search_results(cv_results, *, score="mean_test_score", ax=None):
    """Parallel coordinates of a hyperparameter search, coloured by score (seed-1 Fig. 13).

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
    params = cv_results["params"]
    names = sorted({name for p in params for name in p})
    columns = []
    for name in names:
        values = [p.get(name) for p in params]
        if all(isinstance(v, (int, float)) for v in values):
            numbers = np.log10(values) if name == "lr" else np.asarray(values, dtype=float)
        else:
            categories = sorted(set(map(str, values)))
            numbers = np.array([categories.index(str(v)) for v in values], dtype=float)
        columns.append(numbers)
    scores = np.asarray(cv_results[score], dtype=float)
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
    ax.set_title("Hyperparameter search (lr on a log scale; yellow = best)")
    return fig


def plot_few_labels(rows):
    """Few-label study: mean test accuracy against labels, one panel per data set.

    Solid lines are inductive methods, dashed ones transductive (the test images were in the
    graph); a band shows ±1 standard deviation over draws.

    Parameters
    ----------
    rows : list of dict
        Summary rows of :func:`skae.studies.run_few_labels` (``summary.csv``).

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> from skae.plots import plot_few_labels
    >>> rows = [{"dataset": "mnist", "representation": "pixels", "method": "cnn",
    ...          "n_labels": n, "mean_accuracy": a, "std_accuracy": 0.01,
    ...          "transductive": False} for n, a in [(100, 0.7), (1000, 0.9)]]
    >>> len(plot_few_labels(rows).axes)
    1
    """
    datasets = list(dict.fromkeys(row["dataset"] for row in rows))
    fig, axes = _subplots(1, len(datasets), figsize=(7 * len(datasets), 5), layout="tight")
    for ax, dataset in zip(axes[0], datasets):
        lines = {}
        for row in rows:
            if row["dataset"] == dataset:
                key = (row["method"], row["representation"], row["transductive"])
                lines.setdefault(key, []).append(row)
        for i, ((method, representation, transductive), points) in enumerate(lines.items()):
            points.sort(key=lambda row: row["n_labels"])
            n = [row["n_labels"] for row in points]
            mean = np.array([100 * row["mean_accuracy"] for row in points])
            std = np.array([100 * row["std_accuracy"] for row in points])
            style = dict(color=colormaps["tab20"](i % 20), ls="--" if transductive else "-")
            ax.plot(n, mean, marker="o", label=f"{method} on {representation}", **style)
            ax.fill_between(n, mean - std, mean + std, alpha=0.15, color=style["color"])
        ax.set_xscale("log")
        ax.set_xlabel("labeled training images (log scale)")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(f"{dataset}: dashed = transductive")
        ax.legend(fontsize=7)
    return fig
