"""Command line: ``skae learning-curve --profile quick --out results/``."""

import argparse
import math
import sys
from contextlib import contextmanager
from pathlib import Path

import joblib

from .studies import (
    FEW_LABELS_PROFILES,
    PROFILES,
    SEED1_PROFILES,
    StudyError,
    answer_few_labels,
    format_few_labels,
    format_summary,
    run_few_labels,
    run_learning_curve,
    run_seed1,
)
from .studies._files import read_datasets, with_precision

NO_CELLS = "No finished cells of this data, profile and precision: no tables or figures written."


def _learning_curve(args):
    rows = run_learning_curve(
        args.profile,
        out=args.out,
        pipelines=args.pipelines,
        dataset=args.dataset,
        inputs=args.inputs,
        data_home=args.data_home,
        n_jobs=args.n_jobs,
        device=args.device,
        precision=args.precision,
        max_cells=args.max_cells,
        figures=not args.no_figures,
        verbose=0 if args.quiet else 1,
    )
    if not rows:
        print(NO_CELLS)
        return
    descriptions = read_datasets(args.out, args.precision)
    data = descriptions[rows[0].get("dataset", "mnist")]  # cells before data sets: MNIST's
    n_test = min(rows[0]["profile"]["test_size"], data["test"])
    print(
        f"\nTest accuracy (%) on {n_test} of the {data['title']} test images (the paper's "
        "350 on MNIST), mean over repeats:"
    )
    print(format_summary(rows))
    n_full = f"{data['test']:,}".replace(",", " ")
    print(
        f"\nTest accuracy (%) on the full {n_full}-image {data['title']} test set "
        f"({data['test_source']}):"
    )
    print(format_summary(rows, "full_test_accuracy"))
    tables = Path(args.out) / with_precision("learning_curve", args.precision)
    print(f"tables: {tables}.csv (and .json)")


def _seed1(args):
    metrics = run_seed1(
        args.profile,
        out=args.out,
        data_home=args.data_home,
        ae_params=args.ae_params,
        search=args.search,
        storage=args.storage,
        n_jobs=args.n_jobs,
        device=args.device,
        precision=args.precision,
        verbose=0 if args.quiet else 1,
    )
    print(
        f"\nautoencoders trained in {args.precision} with {metrics['ae_params_source']}: "
        f"{metrics['ae_params']}"
    )
    targets = metrics["seed_targets"]
    print(f"\nconv AE test MSE       {metrics['ae_test_mse']:.4f}  ", end="")
    print(f"(seed: {targets['ae_test_mse']})")
    for kind, mse in metrics["denoising_test_mse"].items():
        print(f"denoising {kind:<12} {mse:.4f}  (seed: {targets['denoising_test_mse']})")
    print(f"VAE test MSE           {metrics['vae_test_mse']:.4f}")
    print(
        f"transfer accuracy      {metrics['transfer_accuracy']:.4f}  "
        f"(seed: {targets['transfer_accuracy']}; "
        f"{metrics['transfer_head_parameters']} trainable parameters)"
    )
    search = metrics["search"]
    if "study_name" in search:  # Optuna's
        print(f"Optuna trials {search['trials']}; best validation MSE {search['best_value']:.4f}")
    print(f"search's best parameters: {metrics['search_best_params']}")
    metrics_file, figures = (with_precision(n, args.precision) for n in ("metrics", "figures"))
    print(f"metrics: {Path(args.out) / metrics_file}.json; figures: {Path(args.out) / figures}")


def _few_labels(args):
    rows = run_few_labels(
        args.profile,
        out=args.out,
        data_home=args.data_home,
        methods=args.methods,
        datasets=args.datasets,
        n_labels=args.n_labels,
        inputs=args.inputs,
        n_jobs=args.n_jobs,
        device=args.device,
        precision=args.precision,
        max_cells=args.max_cells,
        verbose=0 if args.quiet else 1,
    )
    if not rows:
        print(NO_CELLS)
        return
    descriptions = read_datasets(args.out, args.precision)
    if args.precision != "float32":
        print(
            f"\n(in {args.precision}: the autoencoder's pretraining, the pseudo-label CNNs "
            "and ladder_conv)"
        )
    for dataset in dict.fromkeys(row["dataset"] for row in rows):
        print(f"\n{format_few_labels(rows, dataset, descriptions.get(dataset))}")
        print(f"\nDoes pretraining help on {dataset}? (best inductive methods)")
        described = descriptions.get(dataset, {})
        print(answer_few_labels(rows, dataset, described.get("test")))
        measured = dataset.removesuffix("_standardized") in ("mnist", "fashion")  # threshold's
        note = (
            measured
            and described
            and FEW_LABELS_PROFILES[args.profile].pretraining_note(
                described["pool"], math.prod(described["image_shape"])
            )
        )
        if note:
            print(note)
    tables = Path(args.out) / f"{with_precision('summary', args.precision)}.csv"
    print(f"\ntables: {tables}; figure: {Path(args.out) / 'figures'}")


@contextmanager
def _parallel_backend(dask):
    """joblib's default backend, or a Dask cluster (``"local"`` starts one on this machine)."""
    if dask is None:
        yield
        return
    try:
        from distributed import Client
    except ImportError as error:
        raise SystemExit(
            "--dask needs the distributed package: pip install 'skae[distributed]'"
        ) from error
    with (
        Client(None if dask == "local" else dask) as client,
        joblib.parallel_config(backend="dask"),
    ):
        print(f"running on {client}", flush=True)
        yield


def _worker_count(text):
    """``--n-jobs``: checked before a Dask cluster starts (the studies check it too)."""
    value = int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("0 workers: use 1, or -1 for all cores")
    return value


def _cell_budget(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0 (0: tables only)")
    return value


def _add_common(parser, profiles, default_out, parallel):
    parser.add_argument("--profile", choices=sorted(profiles), default="quick")
    parser.add_argument("--out", default=default_out, help=f"output folder ({default_out})")
    parser.add_argument("--data-home", help="folder with MNIST/ and FashionMNIST/ (or SKAE_DATA)")
    parser.add_argument(
        "--n-jobs",
        type=_worker_count,
        default=1,
        help=f"parallel joblib workers (-1: all cores), each with cores / N torch threads, "
        f"for {parallel}",
    )
    parser.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run the parallel work on a Dask scheduler (e.g. tcp://host:8786, or 'local')",
    )
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cuda")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def _add_precision(parser, what="the autoencoders' pretraining"):
    parser.add_argument(
        "--precision",
        choices=["float32", "bfloat16", "float16"],
        default="float32",
        help=f"arithmetic of {what} (autocast); bfloat16 is the fast choice on CPUs with "
        "AMX / AVX512-BF16 and on recent GPUs; results other than float32 go to files of "
        "their own",
    )


def _add_inputs(parser):
    parser.add_argument(
        "--inputs",
        choices=["unit", "standardized"],
        default="unit",
        help="pixels in [0, 1] (unit, default) or standardized per channel as seed-0 fed them",
    )


def build_parser():
    """The ``skae`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="skae", description="Unsupervised pretraining with autoencoders: studies."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    curve = commands.add_parser(
        "learning-curve",
        help="seed-0 study: frozen pretrained encoders vs a CNN, accuracy vs number of labels",
        description="Run or resume the learning-curve study; finished cells are not rerun.",
    )
    _add_common(
        curve,
        PROFILES,
        "results",
        "the cells, and the autoencoders' pretraining (on 2 cores, 2 workers pretrain 1.4x "
        "faster than one process)",
    )
    curve.add_argument(
        "--dataset",
        default="mnist",
        metavar="NAME_OR_PATH",
        help="mnist (default), fashion, digits (bundled, offline), a folder of images (one "
        "subfolder per class, optional unlabeled/) or a .npz file",
    )
    _add_inputs(curve)
    _add_precision(curve)
    curve.add_argument("--pipelines", nargs="+", help="subset of pipelines to run")
    curve.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    curve.add_argument(
        "--max-cells",
        type=_cell_budget,
        metavar="N",
        help="run at most N unfinished cells (0: tables and figures of the finished ones only)",
    )
    curve.set_defaults(handler=_learning_curve)
    seed1 = commands.add_parser(
        "seed1",
        help="seed-1 studies: AE search, denoising, VAE, latent plots, transfer learning",
        description="Train the seed-1 models once (cached) and write metrics and figures.",
    )
    _add_common(seed1, SEED1_PROFILES, "results/seed1", "the random search's candidates")
    seed1.add_argument(
        "--ae-params",
        choices=["paper", "search"],
        default="paper",
        help="autoencoder parameters: seed-1's Table 1 (paper, default) or this run's search",
    )
    seed1.add_argument(
        "--search",
        choices=["random", "optuna"],
        default="random",
        help="hyperparameter search: random (default) or optuna (seed-1's: TPE with pruning, "
        "resumable study in OUT/search.db; needs skae[optuna])",
    )
    seed1.add_argument(
        "--storage",
        metavar="URL",
        help="--search optuna: the study's database instead of OUT/search.db, e.g. "
        "postgresql://user@host/db, shared by machines that run the same search",
    )
    _add_precision(seed1, "the autoencoders' training (the search stays float32)")
    seed1.set_defaults(handler=_seed1)
    few = commands.add_parser(
        "few-labels",
        help="few-label study: from scratch vs pretrained vs semi-supervised, 100-3000 labels",
        description="Run or resume the few-label study; finished cells are not rerun.",
    )
    _add_common(
        few, FEW_LABELS_PROFILES, "results/few_labels", "the cells of every data set, side by side"
    )
    _add_inputs(few)
    _add_precision(
        few, "the autoencoder's pretraining, of the pseudo-label CNNs and of ladder_conv"
    )
    few.add_argument(
        "--methods",
        nargs="+",
        help="subset of methods to run (default: all but ladder_conv, which runs only when "
        "named: hours per cell on a CPU)",
    )
    few.add_argument(
        "--dataset",
        "--datasets",
        dest="datasets",
        nargs="+",
        metavar="NAME_OR_PATH",
        help="data sets: mnist, fashion, digits (bundled, offline), a folder of images (one "
        "subfolder per class, optional unlabeled/) or a .npz file; default: mnist fashion",
    )
    few.add_argument(
        "--n-labels", nargs="+", type=int, help="subset of the label budgets (totals, e.g. 100)"
    )
    few.add_argument(
        "--max-cells",
        type=_cell_budget,
        metavar="N",
        help="run at most N unfinished cells (0: tables only)",
    )
    few.set_defaults(handler=_few_labels)
    return parser


def main(argv=None):
    """Entry point of the ``skae`` console script."""
    args = build_parser().parse_args(argv)
    try:
        with _parallel_backend(args.dask):
            args.handler(args)
    except KeyboardInterrupt:
        print("\nInterrupted; finished work is saved, rerun the same command to resume.")
        return 130
    except (StudyError, OSError) as error:  # a bad request or missing data: one clear line
        print("skae: error: " + " ".join(str(error).split()), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
