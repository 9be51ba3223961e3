"""Writes the studies' figures as PNG files, from what the run computed."""

from pathlib import Path

from .. import plots
from ._profiles import PAPER_ACCURACY, REPORTED_SIZES

# Legend labels of the seed-0 pipelines (the figures; tables keep the pipeline names).
DISPLAY_NAMES = {
    "cnn": "CNN, labels only",
    "ae_mnist": "AE (MNIST) codes + softmax",
    "sparse_ae_mnist": "sparse AE (MNIST) codes + softmax",
    "sparse_ae_fashion": "sparse AE (FashionMNIST) codes + softmax",
    "random_encoder": "untrained random encoder codes + softmax",
    "sparse_ae_mnist_logreg": "sparse AE (MNIST) codes + logistic regression",
    "raw_pixels_logreg": "pixels + logistic regression",
}


def display_names(dataset, title):
    """Legend labels of the seed-0 pipelines on ``dataset`` (MNIST's are the seed's)."""
    if dataset == "mnist":
        return DISPLAY_NAMES
    return {
        **DISPLAY_NAMES,
        f"ae_{dataset}": f"AE ({title}) codes + softmax",
        f"sparse_ae_{dataset}": f"sparse AE ({title}) codes + softmax",
        f"sparse_ae_{dataset}_logreg": f"sparse AE ({title}) codes + logistic regression",
    }


def save_study_figures(
    rows, autoencoders, X_test, y_test, out, *, names=DISPLAY_NAMES, reconstructions=None,
    paper_accuracy=PAPER_ACCURACY, folder="figures",
):  # fmt: skip
    """Save the seed-0 study's figures under ``<out>/<folder>``; return their paths.

    Nothing is trained here: the figures show the logged cells, the study's own autoencoders
    and the test predictions that the confusion-matrix cell kept.

    Parameters
    ----------
    rows : list of dict
        Finished cells, as logged by :func:`skae.studies.run_learning_curve`.
    autoencoders : dict of str to ConvAETransformer
        The study's pretrained autoencoders (those its pipelines use).
    X_test, y_test : ndarray
        The test images and labels the cells were scored on.
    out : path-like
        Output folder.
    names : dict, default=DISPLAY_NAMES
        Legend labels of the pipelines (:func:`display_names`).
    reconstructions : dict or None, default=None
        ``{data set: (autoencoder name, its test images, title)}``: the reconstructions to
        draw, one figure per data set.
    paper_accuracy : dict, default=PAPER_ACCURACY
        Seed-0's reported accuracies, marked on the learning curves; ``None`` for a data set
        the paper did not study.
    folder : str, default="figures"
        Subfolder of ``out`` (``figures_bfloat16`` for a run in bfloat16).

    Returns
    -------
    paths : list of pathlib.Path
    """
    figures = {}
    if rows:
        curves = {"reported_sizes": REPORTED_SIZES, "display_names": names}
        figures["learning_curves"] = plots.plot_learning_curves(
            rows, paper_accuracy=paper_accuracy, paper_label="paper (seed-0)", **curves
        )
        figures["learning_curves_full_test"] = plots.plot_learning_curves(
            rows, metric="full_test_accuracy", **curves
        )
    if any(ae.n_epochs_ for ae in autoencoders.values()):  # it skips untrained ones
        figures["ae_losses"] = plots.plot_ae_losses(autoencoders)
    for dataset, (name, X, title) in (reconstructions or {}).items():
        figures[f"reconstructions_{dataset}"] = plots.plot_reconstructions(
            autoencoders[name], X, title=title
        )
    pipelines = {row["pipeline"] for row in rows}
    if "cnn" in pipelines and len({row["train_size"] for row in rows}) > 1:  # a curve
        figures["cnn_train_test"] = plots.plot_cnn_train_test(rows)
    for name in sorted(pipelines):
        if any(row["pipeline"] == name and row["loss_curve"] for row in rows):
            figures[f"head_losses_{name}"] = plots.plot_head_losses(rows, name)
    for row in rows:  # the cell run with keep_predictions (see confusion_cell)
        if "test_predictions" in row:
            figures[f"confusion_{row['pipeline']}_{row['train_size']}"] = (
                plots.plot_confusion_matrix(
                    y_test,
                    row["test_predictions"],
                    title=f"{row['pipeline']}, {row['train_size']} labels:",
                )
            )
    return save_figures(figures, Path(out) / folder)


def save_figures(figures, folder):
    """Write each ``{name: Figure}`` to ``<folder>/<name>.png``, close it; return the paths."""
    from matplotlib import pyplot as plt

    if figures:  # no empty folder beside "no figures written"
        folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, figure in figures.items():
        paths.append(folder / f"{name}.png")
        figure.savefig(paths[-1], dpi=110)
        plt.close(figure)
    return paths
