"""Command line: ``skae learning-curve --profile quick --out results/``."""

import argparse
import sys
from pathlib import Path

from ._study import PROFILES, format_summary, pretrain_autoencoders, run_learning_curve


def _learning_curve(args):
    rows = run_learning_curve(
        args.profile,
        out=args.out,
        pipelines=args.pipelines,
        data_home=args.data_home,
        n_jobs=args.n_jobs,
        device=args.device,
        verbose=0 if args.quiet else 1,
    )
    print("\nTest accuracy (%) on the paper's 350 test images, mean over repeats:")
    print(format_summary(rows))
    print("\nTest accuracy (%) on the full 10 000-image MNIST test set:")
    print(format_summary(rows, "full_test_accuracy"))
    if not args.no_figures:
        from ._figures import save_study_figures  # matplotlib only when figures are asked for

        profile = PROFILES[args.profile]
        autoencoders = pretrain_autoencoders(profile, out=args.out, data_home=args.data_home)
        for path in save_study_figures(
            rows, autoencoders, profile, args.out, data_home=args.data_home
        ):
            print(f"wrote {path}")
    print(f"tables: {Path(args.out) / 'learning_curve.csv'} (and .json)")


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
    curve.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    curve.add_argument("--out", default="results", help="output folder (default: results)")
    curve.add_argument("--pipelines", nargs="+", help="subset of pipelines to run")
    curve.add_argument("--data-home", help="folder with MNIST/ and FashionMNIST/ (or SKAE_DATA)")
    curve.add_argument("--n-jobs", type=int, default=1, help="cells run in parallel")
    curve.add_argument("--device", default="cpu", help="torch device, e.g. cuda")
    curve.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    curve.add_argument("--quiet", action="store_true", help="no progress output")
    curve.set_defaults(handler=_learning_curve)
    return parser


def main(argv=None):
    """Entry point of the ``skae`` console script."""
    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except KeyboardInterrupt:
        print("\nInterrupted; finished cells are saved, rerun the same command to resume.")
        return 130
    except OSError as error:
        print(f"skae: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
