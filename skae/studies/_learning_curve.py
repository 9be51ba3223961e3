"""The seed-0 learning-curve study: does a frozen pretrained encoder help when labels are few?

Each *cell* (pipeline x train size x repeat) clones a ``Pipeline``, fits it on the first
``size`` images of a seeded permutation of the labeled pool and scores it on the paper's
350 test images and on the full 10 000-image test set. Cells are written to
``<out>/cells.jsonl`` as they finish, so an interrupted run resumes where it stopped.

sklearn's ``learning_curve`` is not used for the cells because it discards the fitted
models: the study needs two test scores, the head's loss curve and resumable cells.
The tables it writes feed :class:`sklearn.model_selection.LearningCurveDisplay`.
"""

import time
from dataclasses import replace
from pathlib import Path

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from tqdm.auto import tqdm

from .._autoencoder import ConvAETransformer
from .._batched import fit_batched, fixed_transform, split_fixed_steps
from .._classifiers import CNNClassifier, SoftmaxClassifier
from ._cache import fit_cached
from ._data import study_data
from ._files import (
    CellLog,
    as_json,
    describe_datasets,
    environment,
    locked,
    read_datasets,
    with_precision,
    write_tables,
)
from ._profiles import PAPER_ACCURACY, PROFILES, REPORTED_SIZES, seed0_design
from ._request import (
    StudyError,
    check_device,
    check_precision,
    check_run_options,
    resolve_profile,
)

CONFUSION_LABELS = 480  # seed-0 Fig. 5: the sparse AE's confusion matrix at 480 labels


def pretrain_autoencoders(
    profile,
    *,
    out,
    names=None,
    dataset="mnist",
    data_home=None,
    n_jobs=1,
    device="cpu",
    precision="float32",
    verbose=0,
):
    """Fit the study's autoencoders, or load them from the cache in ``<out>/autoencoders``.

    A cached autoencoder is reused only if its parameters, its training images and the skae
    version are the ones asked for; otherwise it is trained again (see
    :func:`skae.studies.fit_cached`).

    Parameters
    ----------
    profile : {"quick", "paper", "tiny"} or Profile
        Sets the pretraining epochs, batch size and number of unlabeled images.
    out : path-like
        Output folder; fitted autoencoders are cached in its ``autoencoders`` subfolder.
    names : list of str, default=None
        Which autoencoders (see :func:`skae.studies.seed0_design`); ``None``: all.
    dataset : str or path-like, default="mnist"
        The study's data set (a name or path of :func:`skae.datasets.load_dataset`).
    data_home : path-like, default=None
        Passed to the data loaders.
    n_jobs : int, default=1
        Autoencoders pretrained in parallel with joblib.
    device : str, default="cpu"
        Torch device for pretraining.
    precision : {"float32", "bfloat16", "float16"}, default="float32"
        Arithmetic of the pretraining (see the estimators' ``precision``); part of the
        cache key when not float32.
    verbose : int, default=0
        Verbosity of the autoencoders' training.

    Returns
    -------
    autoencoders : dict of str to ConvAETransformer
        Fitted autoencoders, keyed by name.

    Examples
    --------
    >>> from skae.studies import pretrain_autoencoders
    >>> aes = pretrain_autoencoders("tiny", out="results/tiny")  # doctest: +SKIP
    >>> sorted(aes)  # doctest: +SKIP
    ['ae_mnist', 'random_encoder', 'sparse_ae_fashion', 'sparse_ae_mnist']
    """
    profile = resolve_profile(profile, PROFILES)
    main = study_data(dataset, data_home=data_home)
    autoencoders, _ = seed0_design(main.source)
    names = list(autoencoders) if names is None else list(names)
    data = _data_sets(main, [autoencoders[name][0] for name in names], data_home)
    check_run_options(n_jobs)
    check_precision(precision, device)
    settings = {"device": device, "precision": precision, "verbose": verbose}
    return _pretrain(profile, names, autoencoders, data, Path(out), n_jobs, settings)


def _data_sets(main, names, data_home):
    """``{source: StudyData}``: the study's data set and the others its autoencoders need."""
    inputs = "unit" if main.inputs == "unit" else "standardized"
    return {main.source: main} | {
        name: study_data(name, data_home=data_home, inputs=inputs)
        for name in names
        if name != main.source
    }


def _pretrain(profile, names, autoencoders, data, out, n_jobs, settings, fit=True):
    """Fit or load ``names`` from the pools of their data sets (``data``); ``settings``:
    the autoencoders' ``device``, ``precision`` and ``verbose``. ``fit=False``: the cached
    ones only (tables and figures from finished cells train nothing)."""
    jobs, verbose = [], settings["verbose"]
    for name in names:
        source = data[autoencoders[name][0]]
        ae, n_images = study_autoencoder(name, autoencoders[name][1], profile, source, **settings)
        jobs.append(
            joblib.delayed(fit_cached)(
                ae,
                source.X[:n_images],
                name=name,
                data=source.identity(n_images),
                folder=out / "autoencoders",
                verbose=verbose,
                fit=fit,
            )
        )
    fitted = zip(names, joblib.Parallel(n_jobs=n_jobs)(jobs))
    return {name: model for name, model in fitted if model is not None}


def study_autoencoder(name, sparsity, profile, data, device="cpu", precision="float32", verbose=0):
    """The unfitted autoencoder ``name`` and how many of ``data``'s pool images it uses.

    Of every 60 images, 59 pretrain and one validates (the seed's 59 000 and 1 000).
    """
    n = min(profile.n_pretrain, len(data.X) * 59 // 60)
    n_images = n + max(1, n // 59)
    ae = ConvAETransformer(
        image_shape=data.image_shape,
        sparsity=sparsity,
        max_epochs=0 if name == "random_encoder" else profile.ae_epochs,
        batch_size=profile.ae_batch_size,
        validation_fraction=1 - n / n_images,
        device=device,
        precision=precision,
        random_state=0,
        verbose=verbose,
    )
    return ae, n_images


def make_pipelines(
    autoencoders, profile, *, names=None, device="cpu", dataset="mnist", image_shape=(1, 28, 28)
):
    """The study's pipelines, unfitted except for their frozen encoders.

    Parameters
    ----------
    autoencoders : dict of str to ConvAETransformer
        As returned by :func:`pretrain_autoencoders`.
    profile : Profile
        Sets the epochs of the heads and of the CNN.
    names : list of str, default=None
        Which pipelines (see :func:`skae.studies.seed0_design`); ``None``: all seven (six
        off MNIST). ``autoencoders`` needs only the encoders these use.
    device : str, default="cpu"
        Torch device for the heads and the CNN.
    dataset : str, default="mnist"
        The study's data set's name: it names the pipelines.
    image_shape : tuple of int, default=(1, 28, 28)
        (C, H, W) of the images, for the CNN.

    Returns
    -------
    pipelines : dict of str to Pipeline

    Examples
    --------
    >>> import numpy as np
    >>> from skae import ConvAETransformer
    >>> from skae.studies import PROFILES, make_pipelines
    >>> ae = ConvAETransformer(max_epochs=0).fit(np.zeros((2, 784), np.float32))
    >>> names = ["ae_mnist", "sparse_ae_mnist", "sparse_ae_fashion", "random_encoder"]
    >>> pipelines = make_pipelines(dict.fromkeys(names, ae), PROFILES["tiny"])
    >>> sorted(pipelines)[:3]
    ['ae_mnist', 'cnn', 'random_encoder']
    """

    design = seed0_design(dataset)[1]

    def last_step(name):
        if name == "cnn":
            cnn = CNNClassifier(
                image_shape=image_shape, max_epochs=profile.head_epochs, device=device
            )
            return "cnn", cnn
        if name.endswith("_logreg"):
            return "head", LogisticRegression(max_iter=1000)
        return "head", SoftmaxClassifier(max_epochs=profile.head_epochs, device=device)

    pipelines = {}
    for name in design if names is None else names:
        encoder = design[name]
        steps = [] if encoder is None else [("encoder", FrozenEstimator(autoencoders[encoder]))]
        pipelines[name] = Pipeline([*steps, last_step(name)])
    return pipelines


def _cell_split(pool_size, test_pool_size, size, repeat, test_size):
    """Seeded train indices (first ``size`` of a permutation) and paper-sized test indices."""
    rng = np.random.default_rng(repeat)
    train = rng.permutation(pool_size)[:size]
    test = rng.permutation(test_pool_size)[:test_size]
    return train, test


def _run_cell(cell, pipeline, X, y, X_test, y_test, test_size, kept):
    """Fit one cell's pipeline alone; its record, in a list as :func:`_run_batch` returns."""
    name, size, repeat = cell
    train, test = _cell_split(len(X), len(X_test), size, repeat, test_size)
    model = clone(pipeline)
    for step in model.steps:  # repeats differ by their training draw and their seed
        if "random_state" in step[1].get_params():
            step[1].set_params(random_state=repeat)
    start = time.perf_counter()
    model.fit(X[train], y[train])  # a Ctrl-C raises here: the cell is not logged
    fit_time = time.perf_counter() - start
    return [_record(cell, model, X[train], y[train], X_test, y_test, test, fit_time, cell == kept)]


def _run_batch(cells, heads, X, y, X_test, y_test, test_size, kept):
    """Fit the heads of ``cells`` as one batched computation; their records.

    ``X`` and ``X_test`` stack the fixed-step outputs (the encoder's codes, or the images for
    the CNN) of the cells' pipelines, in their order of first appearance, so that heads of
    several pipelines train together. ``fit_time`` is the batch's time shared evenly.
    """
    names = list(dict.fromkeys(name for name, _, _ in cells))
    inputs = {name: X[i * len(y) : (i + 1) * len(y)] for i, name in enumerate(names)}
    n_test = len(y_test)
    test_inputs = {name: X_test[i * n_test : (i + 1) * n_test] for i, name in enumerate(names)}
    splits = [_cell_split(len(y), n_test, size, repeat, test_size) for _, size, repeat in cells]
    rows = [names.index(name) * len(y) + train for (name, _, _), (train, _) in zip(cells, splits)]
    models = [clone(heads[name]).set_params(random_state=repeat) for name, _, repeat in cells]
    start = time.perf_counter()
    fit_batched(models, X, np.tile(y, len(names)), rows)  # a Ctrl-C: no cell is logged
    fit_time = (time.perf_counter() - start) / len(cells)
    return [
        _record(
            cell,
            model,
            inputs[cell[0]][train],
            y[train],
            test_inputs[cell[0]],
            y_test,
            test,
            fit_time,
            cell == kept,
        )
        for cell, model, (train, test) in zip(cells, models, splits)
    ]


def _record(cell, model, X_train, y_train, X_test, y_test, test, fit_time, keep_predictions):
    """A finished cell as logged: accuracies on both test sets, time and loss curve."""
    predicted = model.predict(X_test)
    final = model[-1] if isinstance(model, Pipeline) else model
    record = {
        "pipeline": cell[0],
        "train_size": int(cell[1]),
        "repeat": int(cell[2]),
        "test_accuracy": float(np.mean(predicted[test] == y_test[test])),
        "full_test_accuracy": float(np.mean(predicted == y_test)),
        "train_accuracy": float(model.score(X_train, y_train)),
        "fit_time": fit_time,
        "loss_curve": [float(v) for v in getattr(final, "loss_curve_", [])],
    }
    if keep_predictions:  # for the confusion-matrix figure
        record["test_predictions"] = predicted.tolist()
    return record


def run_learning_curve(
    profile="quick",
    *,
    out="results",
    pipelines=None,
    dataset="mnist",
    inputs="unit",
    data_home=None,
    n_jobs=1,
    device="cpu",
    precision="float32",
    max_cells=None,
    figures=False,
    verbose=1,
):
    """Run (or resume) the seed-0 learning-curve study and write its tables.

    One linear path: the request is checked whole (profile, pipeline names, device, data),
    the output folder is locked, only the encoders of the chosen pipelines are pretrained
    (or loaded from the cache), the data is loaded once, the unfinished cells run and are
    logged one by one, and the tables (and figures) are drawn from the logged cells.

    Parameters
    ----------
    profile : {"quick", "paper", "tiny"} or Profile, default="quick"
        ``"paper"`` is the seed's protocol (50 sizes 160-8000, 3 repeats, 100 epochs);
        ``"quick"`` takes minutes on a laptop CPU; ``"tiny"`` seconds.
    out : path-like, default="results"
        Output folder: ``cells.jsonl`` (resume log), ``runs.jsonl`` (what produced
        each run that trained: versions, threads, device, processor), ``datasets.json`` (the
        description of the data the tables show; ``datasets_bfloat16.json``...),
        ``learning_curve.csv`` and ``.json``, the cached autoencoders and ``figures/``.
        Locked while a run uses it. A run with no cell left to run (``max_cells=0``, or
        every cell done) trains nothing, not even an autoencoder missing from the cache.
    pipelines : list of str, default=None
        Names of the pipelines to run (see :func:`make_pipelines`); ``None`` runs all.
    dataset : str or path-like, default="mnist"
        The data set: a name or path that :func:`skae.datasets.load_dataset` reads
        (``"digits"`` is bundled). Its labeled training images are the cells' pool, its test
        split (else a stratified 20 % held out) the test set; train sizes larger than the
        labeled pool are skipped, with a note. Off MNIST, the pipelines are named after it.
    inputs : {"unit", "standardized"}, default="unit"
        Pixels in [0, 1], or standardized per channel as seed-0 fed them (``(x - 0.1307) /
        0.3081`` on MNIST); recorded in ``runs.jsonl`` and in every cell's ``dataset``
        (``mnist_standardized``). The other data sets the pipelines use are scaled alike.
    data_home : path-like, default=None
        Passed to the data loaders.
    n_jobs : int, default=1
        Cells run in parallel with joblib (its default backend, loky: one torch thread per
        worker). Inside ``joblib.parallel_config(backend="dask")`` with a ``distributed``
        client, the cells run on the Dask cluster instead (``n_jobs=-1``: all its workers).
    device : str, default="cpu"
        Torch device of every fit, pretraining included.
    precision : {"float32", "bfloat16", "float16"}, default="float32"
        Arithmetic of the autoencoders' pretraining, where bfloat16 pays
        (``benchmarks/precision.py``); the heads and the seed-0 CNN stay float32, where it
        is slower (tiny layers, batch 16). Cells record it: a run reuses only cells of its
        own precision.
    max_cells : int, default=None
        Run at most this many of the unfinished cells, in the order of the resume log (repeat
        by repeat, the paper's reported sizes first); ``None`` runs them all, ``0`` only
        rewrites the tables (and figures) from the finished cells.
    figures : bool, default=False
        Also write the PNG figures to ``<out>/figures`` (needs matplotlib).
    verbose : int, default=1
        ``1`` prints progress.

    Returns
    -------
    rows : list of dict
        One row per finished cell: pipeline, train_size, repeat, test_accuracy (on the
        paper's 350 test images), full_test_accuracy (10 000 images), train_accuracy,
        fit_time, loss_curve, profile and run (the ``runs.jsonl`` entry that computed it).

    Raises
    ------
    StudyError
        Before any work, for an unknown profile or pipeline, a bad device, ``n_jobs`` 0 or
        ``max_cells`` < 0, missing data or an output folder that another run holds.
    KeyboardInterrupt
        On Ctrl-C; the finished cells are logged and the tables written first.

    Examples
    --------
    >>> from skae.studies import run_learning_curve
    >>> rows = run_learning_curve("tiny", out="results/tiny")  # doctest: +SKIP
    """
    profile = resolve_profile(profile, PROFILES)
    check_run_options(n_jobs, max_cells)
    check_device(device)
    check_precision(precision, device)
    main = study_data(dataset, data_home=data_home, inputs=inputs)
    design, pipeline_encoders = seed0_design(main.source)
    names = list(pipeline_encoders) if pipelines is None else list(pipelines)
    unknown = sorted(set(names) - set(pipeline_encoders))
    if unknown:
        raise StudyError(f"Unknown pipelines {unknown}; choose from {list(pipeline_encoders)}.")
    encoders = list(dict.fromkeys(pipeline_encoders[n] for n in names if pipeline_encoders[n]))
    data = _data_sets(main, [design[name][0] for name in encoders], data_home)
    labeled = main.y >= 0
    X, y = (main.X, main.y) if labeled.all() else (main.X[labeled], main.y[labeled])
    sizes = [size for size in profile.train_sizes if size <= len(y)]
    skipped = len(sizes) < len(profile.train_sizes)
    if not sizes:
        raise StudyError(
            f"{main.title} has {len(y)} labeled training images, fewer than the "
            f"profile's smallest train size ({min(profile.train_sizes)})."
        )
    profile = replace(
        profile, train_sizes=tuple(sizes), test_size=min(profile.test_size, len(main.y_test))
    )
    out = Path(out)
    logged = CellLog(out / "cells.jsonl").read()
    others = sorted({cell.get("dataset", "mnist") for cell in logged} - {main.name})
    if others:  # one table per folder: another data set's would be overwritten
        raise StudyError(
            f"{out} holds the learning curve of {', '.join(others)}; use another --out for "
            f"{main.name}."
        )
    if max_cells == 0 and not logged:
        return []  # no finished cell to tabulate: nothing to pretrain either
    out.mkdir(parents=True, exist_ok=True)
    with locked(out):
        run = environment(device, precision=precision, n_jobs=n_jobs, dataset=main.describe())
        read_datasets(out, precision)  # an unreadable datasets.json fails now, not after training
        if verbose and skipped:
            print(f"{main.title}: train sizes {sizes} (the labeled pool has {len(y)} images)")
        done, todo = _cells_to_run(out, profile, run, names, max_cells, verbose)
        if verbose:
            print(f"{len(done)} cells already done, {len(todo)} to run ({n_jobs=})", flush=True)
        fit = bool(todo)  # else nothing trains, not even a missing autoencoder
        if fit:
            CellLog(out / "runs.jsonl").append(run)
        settings = {"device": device, "precision": precision, "verbose": verbose}
        autoencoders = _pretrain(profile, encoders, design, data, out, n_jobs, settings, fit)
        models = (
            make_pipelines(
                autoencoders,
                profile,
                names=names,
                device=device,
                dataset=main.source,
                image_shape=main.image_shape,
            )
            if fit
            else {}  # no cell runs
        )
        arrays = (X, y, main.X_test, main.y_test)
        kept = confusion_cell(profile, main.source)
        known = set(pipeline_encoders)  # the tables show each one run in this folder
        rows = _run_cells(
            models, todo, done, profile, arrays, out, run, n_jobs, kept, known, verbose
        )
        if figures and rows:  # none: the figures of the data the tables show stay
            from ._figures import display_names, save_study_figures  # matplotlib when asked

            reconstructions = {
                source.name: (name, source.X_test, f"sparse AE, {source.title}")
                for name in autoencoders
                if name.startswith("sparse_ae") and (source := data[design[name][0]])
            }
            paths = save_study_figures(
                rows, autoencoders, main.X_test, main.y_test, out,
                names=display_names(main.source, main.title), reconstructions=reconstructions,
                paper_accuracy=PAPER_ACCURACY if main.source == "mnist" else None,
                folder=with_precision("figures", precision),
            )  # fmt: skip
            for path in paths:
                if verbose:
                    print(f"wrote {path}")
    return _without_predictions(rows)


def _cells_to_run(out, profile, run, names, max_cells, verbose):
    """The finished cells of this profile, data and precision (by pipeline, size, repeat),
    and the unfinished ones of ``names`` to run now (at most ``max_cells``)."""
    logged = CellLog(out / "cells.jsonl").read()
    dataset, sha256 = run["dataset"]["name"], run["dataset"]["content_sha256"]
    comparable = [  # cells logged before the data set was recorded are MNIST's
        c
        for c in logged
        if c.get("profile") == as_json(profile)
        and c.get("dataset", "mnist") == dataset
        and c.get("precision", "float32") == run["precision"]
    ]
    current = [c for c in comparable if c.get("sha256", sha256) == sha256]
    done = {(c["pipeline"], c["train_size"], c["repeat"]): c for c in current}
    other = sum(c.get("profile") != as_json(profile) for c in logged)
    if other and verbose:
        print(f"{other} cells of other profiles in {out} stay out of the tables (cells.jsonl)")
    stale = len(comparable) - len(current)  # a changed data set: its cells are left out
    if stale and verbose:
        print(
            f"The images or labels of {dataset} changed since {stale} of the cells in {out} "
            "were computed: they are left out (they stay in cells.jsonl)."
        )
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
    return done, todo


def _run_cells(models, todo, done, profile, data, out, run, n_jobs, kept, known, verbose):
    """Run the ``todo`` cells, logging each as it ends into ``done``; return all finished
    cells of the ``known`` pipelines."""
    log = CellLog(out / "cells.jsonl")
    dataset, sha256 = run["dataset"]["name"], run["dataset"]["content_sha256"]
    tasks = joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        _tasks(todo, models, *data, profile.test_size, kept, verbose)
    )
    cells = (cell for task in tasks for cell in task)
    progress = tqdm(total=len(todo), unit="cell", disable=not verbose)  # the ETA of the run
    try:
        for cell in cells:
            cell.update(profile=as_json(profile), run=run["run"], dataset=dataset, sha256=sha256)
            if run["precision"] != "float32":
                cell["precision"] = run["precision"]
            log.append(cell)
            done[cell["pipeline"], cell["train_size"], cell["repeat"]] = cell
            progress.update()
            if verbose:
                progress.write(
                    f"{cell['pipeline']:<24} n={cell['train_size']:<5} "
                    f"repeat={cell['repeat']} acc={cell['test_accuracy']:.3f} "
                    f"full={cell['full_test_accuracy']:.3f} ({cell['fit_time']:.1f}s)"
                )
    finally:  # interrupted or not, the tables show every finished cell
        progress.close()
        rows = [done[key] for key in sorted(done) if key[0] in known]
        if rows:  # none of this profile: the tables of another stay
            _write_tables(_without_predictions(rows), out, run["precision"])
            describe_datasets(out, {dataset: run["dataset"]}, run["precision"])
    return rows


def _tasks(todo, models, X, y, X_test, y_test, test_size, kept, verbose):
    """Jobs that run the ``todo`` cells: batches of heads that train as one, and lone fits.

    The heads of a repeat batch together, across sizes and pipelines (the softmax heads of
    the four encoders in one batch, the CNNs in another); the other cells fit alone.
    """
    batches, alone, fixed = {}, [], {}
    for cell in todo:
        steps, head = split_fixed_steps(models[cell[0]])
        if head is None:
            alone.append(cell)
            continue
        fixed[cell[0]] = steps, head
        batches.setdefault((type(head).__name__, cell[2]), []).append(cell)
    inputs = {name: fixed_transform(steps, X) for name, (steps, _) in fixed.items()}
    test_inputs = {name: fixed_transform(steps, X_test) for name, (steps, _) in fixed.items()}
    heads = {name: head for name, (_, head) in fixed.items()}
    for (kind, repeat), cells in batches.items():
        names = list(dict.fromkeys(name for name, _, _ in cells))
        if verbose:  # printed as the batch starts; its cells print as it ends
            tqdm.write(f"training {len(cells)} {kind}s of repeat {repeat} as one batch")
        yield joblib.delayed(_run_batch)(  # arrays as arguments: dask ships each once
            cells,
            heads,
            _stack(inputs, names),
            y,
            _stack(test_inputs, names),
            y_test,
            test_size,
            kept,
        )
    for cell in alone:
        yield joblib.delayed(_run_cell)(
            cell, models[cell[0]], X, y, X_test, y_test, test_size, kept
        )


def _stack(arrays, names):
    """``arrays[name]`` stacked in the order of ``names`` (no copy for one name)."""
    return arrays[names[0]] if len(names) == 1 else np.concatenate([arrays[n] for n in names])


def confusion_cell(profile, dataset="mnist"):
    """The cell whose test predictions are kept for the confusion matrix (seed-0 Fig. 5)."""
    size = min(profile.train_sizes, key=lambda s: abs(s - CONFUSION_LABELS))
    return f"sparse_ae_{dataset}", size, 0


def _without_predictions(rows):
    return [{k: v for k, v in row.items() if k != "test_predictions"} for row in rows]


def _write_tables(rows, out, precision):
    columns = [k for k in rows[0] if k not in ("loss_curve", "profile")] if rows else []
    write_tables(rows, out, with_precision("learning_curve", precision), columns)


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
    >>> from skae.studies import summarize
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
    >>> from skae.studies import format_summary
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
