"""Writes the seed-0 study's figures as PNG files."""

from pathlib import Path

from matplotlib import pyplot as plt
from sklearn.base import clone

from ._study import make_pipelines
from .datasets import fetch_fashion_mnist, fetch_mnist
from .plots import (
    plot_ae_losses,
    plot_cnn_train_test,
    plot_confusion_matrix,
    plot_head_losses,
    plot_learning_curves,
    plot_reconstructions,
)

CONFUSION_LABELS = 480  # seed-0 Fig. 5


def save_study_figures(rows, autoencoders, profile, out, *, data_home=None):
    """Save the study's figures under ``<out>/figures``; return their paths.

    Parameters
    ----------
    rows : list of dict
        Cells from :func:`skae.run_learning_curve`.
    autoencoders : dict of str to ConvAETransformer
        From :func:`skae.pretrain_autoencoders`.
    profile : Profile
        The study's profile (sets the head epochs of the confusion-matrix model).
    out : path-like
        Output folder.
    data_home : path-like, default=None
        Passed to the data loaders.

    Returns
    -------
    paths : list of pathlib.Path
    """
    folder = Path(out) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    X, y = fetch_mnist(data_home=data_home, subset="train", return_X_y=True)
    X_test, y_test = fetch_mnist(data_home=data_home, subset="test", return_X_y=True)
    X_fashion = fetch_fashion_mnist(data_home=data_home, subset="test").data
    pipelines = {row["pipeline"] for row in rows}
    figures = {
        "learning_curves": plot_learning_curves(rows),
        "learning_curves_full_test": plot_learning_curves(
            rows, metric="full_test_accuracy", show_paper=False
        ),
        "ae_losses": plot_ae_losses(autoencoders),
        "reconstructions_mnist": plot_reconstructions(
            autoencoders["sparse_ae_mnist"], X_test, title="sparse AE, MNIST"
        ),
        "reconstructions_fashion": plot_reconstructions(
            autoencoders["sparse_ae_fashion"], X_fashion, title="sparse AE, FashionMNIST"
        ),
    }
    if "cnn" in pipelines:
        figures["cnn_train_test"] = plot_cnn_train_test(rows)
    for name in sorted(pipelines):
        if any(row["pipeline"] == name and row["loss_curve"] for row in rows):
            figures[f"head_losses_{name}"] = plot_head_losses(rows, name)
    sparse = clone(make_pipelines(autoencoders, profile)["sparse_ae_mnist"])
    sparse.set_params(head__random_state=0).fit(X[:CONFUSION_LABELS], y[:CONFUSION_LABELS])
    figures["confusion_sparse_ae_mnist_480"] = plot_confusion_matrix(
        sparse, X_test, y_test, title=f"sparse AE (MNIST), {CONFUSION_LABELS} labels:"
    )
    paths = []
    for name, figure in figures.items():
        paths.append(folder / f"{name}.png")
        figure.savefig(paths[-1], dpi=110)
        plt.close(figure)
    return paths
