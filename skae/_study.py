"""The seed-0 learning-curve study: does a frozen pretrained encoder help when labels are few?

Each *cell* (pipeline x train size x repeat) clones a ``Pipeline``, fits it on the first
``size`` images of a seeded permutation of the labeled pool and scores it on the paper's
350 test images and on the full 10 000-image test set. Cells are written to
``<out>/cells.jsonl`` as they finish, so an interrupted run resumes where it stopped.

sklearn's ``learning_curve`` is not used for the cells because it discards the fitted
models: the study needs two test scores, the head's loss curve and resumable cells.
The tables it writes feed :class:`sklearn.model_selection.LearningCurveDisplay`.
"""

import csv
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from ._autoencoder import ConvAETransformer
from ._base import raise_if_interrupted
from ._classifiers import CNNClassifier, SoftmaxClassifier
from .datasets import fetch_fashion_mnist, fetch_mnist


@dataclass(frozen=True)
class Profile:
    """How much of the study to run."""

    train_sizes: tuple  # labeled training images per cell
    n_repeats: int  # seeded draws of the training images (and of the 350 test images)
    head_epochs: int  # epochs of the softmax head and of the CNN
    ae_epochs: int  # pretraining epochs of each autoencoder
    n_pretrain: int = 59_000  # unlabeled images; the rest of the 60 000 validate
    test_size: int = 350  # the paper's test set size
    ae_batch_size: int = 32


PROFILES = {
    # The paper: 50 sizes growing at a constant rate from 160 to 8000, 3 repeats, 100 epochs.
    "paper": Profile(
        train_sizes=tuple(int(s) for s in np.linspace(160, 8000, 50).round()),
        n_repeats=3,
        head_epochs=100,
        ae_epochs=100,
    ),
    # Minutes on a 2-core laptop: same pipelines, fewer sizes and epochs.
    "quick": Profile(train_sizes=(160, 480, 960, 1600), n_repeats=1, head_epochs=20, ae_epochs=2),
    # Seconds: for tests and smoke runs.
    "tiny": Profile(
        train_sizes=(40, 80),
        n_repeats=1,
        head_epochs=2,
        ae_epochs=1,
        n_pretrain=400,
        test_size=50,
    ),
}

PAPER_ACCURACY = {  # seed-0's reported mean test accuracy (%), at 160 / 960 / 8000 labels
    "cnn": {160: 68, 960: 84, 8000: 86},
    "ae_mnist": {160: 67, 960: 86, 8000: 92},
    "sparse_ae_mnist": {160: 61, 960: 78, 8000: 90},
    "sparse_ae_fashion": {160: 55, 960: 73, 8000: 92},
    "random_encoder": {160: 56, 960: 73, 8000: 93},
}

REPORTED_SIZES = (160, 480, 960, 1600, 4000, 8000)  # the comparison table's columns

AUTOENCODERS = {  # name -> (pretraining data, sparsity); the seed's sparse weight is 1e-3
    "ae_mnist": ("mnist", 0.0),
    "sparse_ae_mnist": ("mnist", 1e-3),
    "sparse_ae_fashion": ("fashion", 1e-3),
    "random_encoder": ("mnist", 0.0),  # never trained: max_epochs=0
}


def pretrain_autoencoders(profile, *, out, data_home=None, n_jobs=1, device="cpu", verbose=0):
    """Fit (or load from ``<out>/autoencoders``) the study's autoencoders.

    Parameters
    ----------
    profile : Profile
        Sets the pretraining epochs and number of unlabeled images.
    out : path-like
        Output folder; fitted autoencoders are cached in its ``autoencoders`` subfolder.
    data_home : path-like, default=None
        Passed to the data loaders.
    n_jobs : int, default=1
        Autoencoders pretrained in parallel with joblib.
    device : str, default="cpu"
        Torch device for pretraining.
    verbose : int, default=0
        Verbosity of the autoencoders' training.

    Returns
    -------
    autoencoders : dict of str to ConvAETransformer
        Fitted autoencoders, keyed by pipeline name.

    Examples
    --------
    >>> from skae import PROFILES, pretrain_autoencoders
    >>> aes = pretrain_autoencoders(PROFILES["tiny"], out="results/tiny")  # doctest: +SKIP
    >>> sorted(aes)  # doctest: +SKIP
    ['ae_mnist', 'random_encoder', 'sparse_ae_fashion', 'sparse_ae_mnist']
    """
    folder = Path(out) / "autoencoders"
    folder.mkdir(parents=True, exist_ok=True)
    n = profile.n_pretrain
    paths = {
        name: folder / f"{name}-{data}-{n}-{_ae_epochs(name, profile)}epochs.joblib"
        for name, (data, _) in AUTOENCODERS.items()
    }
    missing = [name for name, path in paths.items() if not path.exists()]
    joblib.Parallel(n_jobs=n_jobs)(
        joblib.delayed(_pretrain)(name, paths[name], profile, data_home, device, verbose)
        for name in missing
    )
    return {name: joblib.load(path) for name, path in paths.items()}


def _ae_epochs(name, profile):
    return 0 if name == "random_encoder" else profile.ae_epochs


def _pretrain(name, path, profile, data_home, device, verbose):
    """Fit one of the study's autoencoders and save it to ``path``."""
    data, sparsity = AUTOENCODERS[name]
    loader = {"mnist": fetch_mnist, "fashion": fetch_fashion_mnist}[data]
    n, epochs = profile.n_pretrain, _ae_epochs(name, profile)
    X = loader(data_home=data_home, subset="train").data[: n + max(1, n // 59)]  # 59 000 / 1 000
    ae = ConvAETransformer(
        sparsity=sparsity,
        max_epochs=epochs,
        batch_size=profile.ae_batch_size,
        validation_fraction=1 - n / len(X),
        device=device,
        random_state=0,
        verbose=verbose,
    )
    if verbose:
        print(f"Pretraining {name} on {n} {data} images for {epochs} epochs", flush=True)
    joblib.dump(ae.fit(X), path)


def make_pipelines(autoencoders, profile, *, device="cpu"):
    """The study's pipelines, unfitted except for their frozen encoders.

    Parameters
    ----------
    autoencoders : dict of str to ConvAETransformer
        As returned by :func:`pretrain_autoencoders`.
    profile : Profile
        Sets the epochs of the heads and of the CNN.
    device : str, default="cpu"
        Torch device for the heads and the CNN.

    Returns
    -------
    pipelines : dict of str to Pipeline

    Examples
    --------
    >>> import numpy as np
    >>> from skae import PROFILES, ConvAETransformer, make_pipelines
    >>> ae = ConvAETransformer(max_epochs=0).fit(np.zeros((2, 784), np.float32))
    >>> names = ["ae_mnist", "sparse_ae_mnist", "sparse_ae_fashion", "random_encoder"]
    >>> pipelines = make_pipelines(dict.fromkeys(names, ae), PROFILES["tiny"])
    >>> sorted(pipelines)[:3]
    ['ae_mnist', 'cnn', 'random_encoder']
    """

    def softmax():
        return SoftmaxClassifier(max_epochs=profile.head_epochs, device=device)

    def frozen(name, head):
        return Pipeline([("encoder", FrozenEstimator(autoencoders[name])), ("head", head)])

    pipelines = {name: frozen(name, softmax()) for name in AUTOENCODERS}
    pipelines["cnn"] = Pipeline(
        [("cnn", CNNClassifier(max_epochs=profile.head_epochs, device=device))]
    )
    pipelines["sparse_ae_mnist_logreg"] = frozen(
        "sparse_ae_mnist", LogisticRegression(max_iter=1000)
    )
    pipelines["raw_pixels_logreg"] = Pipeline([("head", LogisticRegression(max_iter=1000))])
    return pipelines


def _cell_split(pool_size, test_pool_size, size, repeat, test_size):
    """Seeded train indices (first ``size`` of a permutation) and paper-sized test indices."""
    rng = np.random.default_rng(repeat)
    train = rng.permutation(pool_size)[:size]
    test = rng.permutation(test_pool_size)[:test_size]
    return train, test


def _run_cell(name, pipeline, size, repeat, X, y, X_test, y_test, test_size):
    train, test = _cell_split(len(X), len(X_test), size, repeat, test_size)
    model = clone(pipeline)
    for step in model.steps:  # repeats differ by their training draw and their seed
        if "random_state" in step[1].get_params():
            step[1].set_params(random_state=repeat)
    start = time.perf_counter()
    model.fit(X[train], y[train])
    fit_time = time.perf_counter() - start
    head = model[-1]
    raise_if_interrupted(head)  # a half-trained head is not a finished cell
    predicted = model.predict(X_test)
    return {
        "pipeline": name,
        "train_size": int(size),
        "repeat": int(repeat),
        "test_accuracy": float(np.mean(predicted[test] == y_test[test])),
        "full_test_accuracy": float(np.mean(predicted == y_test)),
        "train_accuracy": float(model.score(X[train], y[train])),
        "fit_time": fit_time,
        "loss_curve": [float(v) for v in getattr(head, "loss_curve_", [])],
    }


def run_learning_curve(
    profile="quick",
    *,
    out="results",
    pipelines=None,
    data_home=None,
    n_jobs=1,
    device="cpu",
    max_cells=None,
    verbose=1,
):
    """Run (or resume) the seed-0 learning-curve study and write its tables.

    Parameters
    ----------
    profile : {"quick", "paper", "tiny"} or Profile, default="quick"
        ``"paper"`` is the seed's protocol (50 sizes 160-8000, 3 repeats, 100 epochs);
        ``"quick"`` takes minutes on a laptop CPU; ``"tiny"`` seconds.
    out : path-like, default="results"
        Output folder for ``cells.jsonl`` (resume log), ``learning_curve.csv`` and
        ``learning_curve.json``, and the cached autoencoders.
    pipelines : list of str, default=None
        Names of the pipelines to run (see :func:`make_pipelines`); ``None`` runs all.
    data_home : path-like, default=None
        Passed to the data loaders.
    n_jobs : int, default=1
        Cells run in parallel with joblib (its default backend, loky: one torch thread per
        worker). Inside ``joblib.parallel_config(backend="dask")`` with a ``distributed``
        client, the cells run on the Dask cluster instead (``n_jobs=-1``: all its workers).
    device : str, default="cpu"
        Torch device.
    max_cells : int, default=None
        Run at most this many of the unfinished cells, in the order of the resume log (repeat
        by repeat, the paper's reported sizes first); ``None`` runs them all, ``0`` only
        rewrites the tables from the finished cells.
    verbose : int, default=1
        ``1`` prints progress.

    Returns
    -------
    rows : list of dict
        One row per cell: pipeline, train_size, repeat, test_accuracy (on the paper's 350
        test images), full_test_accuracy (10 000 images), train_accuracy, fit_time,
        loss_curve.

    Examples
    --------
    >>> from skae import run_learning_curve
    >>> rows = run_learning_curve("tiny", out="results/tiny")  # doctest: +SKIP
    """
    profile = PROFILES[profile] if isinstance(profile, str) else profile
    if max_cells is not None and max_cells < 0:
        raise ValueError(f"max_cells must be None or >= 0, got {max_cells}.")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    autoencoders = pretrain_autoencoders(
        profile, out=out, data_home=data_home, n_jobs=n_jobs, device=device, verbose=verbose
    )
    all_pipelines = make_pipelines(autoencoders, profile, device=device)
    names = list(all_pipelines) if pipelines is None else list(pipelines)
    unknown = set(names) - set(all_pipelines)
    if unknown:
        raise ValueError(f"Unknown pipelines {sorted(unknown)}; choose from {list(all_pipelines)}.")
    # Separate arrays, not a tuple: joblib's dask backend ships each large array to the
    # workers once (a tuple would travel with every cell); loky memory-maps them.
    data = (
        *fetch_mnist(data_home=data_home, subset="train", return_X_y=True),
        *fetch_mnist(data_home=data_home, subset="test", return_X_y=True),
    )
    log = out / "cells.jsonl"
    done = _read_cells(log, profile)
    # Repeat by repeat, the sizes the paper reports first: a partial run is still a table.
    todo = sorted(
        (
            (name, size, repeat)
            for name in names
            for repeat in range(profile.n_repeats)
            for size in profile.train_sizes
            if (name, size, repeat) not in done
        ),
        key=lambda cell: (cell[2], cell[1] not in REPORTED_SIZES, cell[1], names.index(cell[0])),
    )[:max_cells]
    if verbose:
        print(f"{len(done)} cells already done, {len(todo)} to run ({n_jobs=})")
    cells = joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        joblib.delayed(_run_cell)(name, all_pipelines[name], size, repeat, *data, profile.test_size)
        for name, size, repeat in todo
    )
    try:
        with log.open("a") as file:
            for i, cell in enumerate(cells, 1):
                cell["profile"] = _as_json(profile)
                file.write(json.dumps(cell) + "\n")
                file.flush()
                done[cell["pipeline"], cell["train_size"], cell["repeat"]] = cell
                if verbose:
                    print(
                        f"[{i}/{len(todo)}] {cell['pipeline']:<24} n={cell['train_size']:<5} "
                        f"repeat={cell['repeat']} acc={cell['test_accuracy']:.3f} "
                        f"full={cell['full_test_accuracy']:.3f} ({cell['fit_time']:.1f}s)",
                        flush=True,
                    )
    finally:  # interrupted or not, the tables show every finished cell
        rows = [done[key] for key in sorted(done) if key[0] in names]
        _write_tables(rows, out)
    return rows


def _read_cells(log, profile):
    """Finished cells of this profile from the resume log, keyed by (pipeline, size, repeat)."""
    if not log.exists():
        return {}
    cells = (json.loads(line) for line in log.read_text().splitlines() if line.strip())
    return {
        (c["pipeline"], c["train_size"], c["repeat"]): c
        for c in cells
        if c.get("profile") == _as_json(profile)
    }


def _as_json(profile):
    """The profile as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(asdict(profile)))


def _write_tables(rows, out):
    columns = [k for k in rows[0] if k not in ("loss_curve", "profile")] if rows else []
    with (out / "learning_curve.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    (out / "learning_curve.json").write_text(json.dumps(rows, indent=1))


def summarize(rows, metric="test_accuracy"):
    """Mean and standard deviation of ``metric`` over repeats, per pipeline and train size.

    Parameters
    ----------
    rows : list of dict
        As returned by :func:`run_learning_curve`.
    metric : str, default="test_accuracy"
        Column to summarize.

    Returns
    -------
    summary : dict
        ``{pipeline: {train_size: (mean, std, n_repeats)}}``.

    Examples
    --------
    >>> from skae import summarize
    >>> rows = [{"pipeline": "cnn", "train_size": 160, "test_accuracy": a} for a in (0.8, 0.9)]
    >>> summarize(rows)["cnn"][160]
    (0.85, 0.05, 2)
    """
    grouped = {}
    for row in rows:
        grouped.setdefault(row["pipeline"], {}).setdefault(row["train_size"], []).append(
            row[metric]
        )
    return {
        name: {
            size: (round(float(np.mean(v)), 6), round(float(np.std(v)), 6), len(v))
            for size, v in sorted(by_size.items())
        }
        for name, by_size in grouped.items()
    }


def format_summary(rows, metric="test_accuracy"):
    """Text table of mean ``metric`` (%) per pipeline (rows) and train size (columns).

    Parameters
    ----------
    rows : list of dict
        As returned by :func:`run_learning_curve`.
    metric : str, default="test_accuracy"
        Column to show.

    Returns
    -------
    table : str

    Examples
    --------
    >>> from skae import format_summary
    >>> rows = [{"pipeline": "cnn", "train_size": 160, "test_accuracy": 0.8}]
    >>> print(format_summary(rows))
    pipeline                     160
    cnn                         80.0
    """
    summary = summarize(rows, metric)
    sizes = sorted({size for by_size in summary.values() for size in by_size})
    lines = [f"{'pipeline':<24}" + "".join(f"{s:>8}" for s in sizes)]
    for name, by_size in summary.items():
        cells = (f"{100 * by_size[s][0]:8.1f}" if s in by_size else f"{'':8}" for s in sizes)
        lines.append(f"{name:<24}" + "".join(cells))
    return "\n".join(lines)
