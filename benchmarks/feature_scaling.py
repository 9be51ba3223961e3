"""Claim: the sparse and random encoders trail with few labels because of their codes' scale.

The study (like the paper) feeds the encoder's codes straight to the softmax head (Adam 1e-3,
gradient clipping at 1.0, batch 16, 100 epochs). Here a ``StandardScaler`` fitted on the
labeled draw sits between the frozen encoder and the head; nothing else changes. Both
variants run side by side on the study's own draws, seeds and cached autoencoders
(``benchmarks/results/paper/autoencoders``), so the "as in the study" column must equal the
logged cells in ``benchmarks/results/paper/cells.jsonl`` (checked: ``reproduces_log``).
Accuracy (%) on all 10 000 test images, mean over the 3 repeats.

Run: ``SKAE_DATA=../shared/data python benchmarks/feature_scaling.py``
"""

import json

import joblib
import numpy as np
from _common import RESULTS, report, rst_table
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skae.datasets import fetch_mnist
from skae.studies import PROFILES, make_pipelines, pretrain_autoencoders
from skae.studies._learning_curve import _run_cell  # the study's own cells
from skae.studies._profiles import AUTOENCODERS

PAPER = RESULTS / "paper"


def with_scaler(pipeline):
    encoder, head = pipeline.steps
    return Pipeline([encoder, ("scaler", StandardScaler()), head])


def main(sizes=(160, 960, 8000), repeats=(0, 1, 2), n_jobs=2):
    profile = PROFILES["paper"]
    pipelines = make_pipelines(pretrain_autoencoders(profile, out=PAPER), profile)
    data = (*fetch_mnist(return_X_y=True), *fetch_mnist(subset="test", return_X_y=True))
    variants = {
        (name, scaled): with_scaler(pipelines[name]) if scaled else pipelines[name]
        for name in AUTOENCODERS
        for scaled in (False, True)
    }
    cells = [(key, size, repeat) for key in variants for size in sizes for repeat in repeats]
    results = joblib.Parallel(n_jobs=n_jobs, verbose=5)(
        joblib.delayed(_run_cell)(
            (key[0], size, repeat), variants[key], *data, profile.test_size, kept=None
        )
        for key, size, repeat in cells
    )
    accuracy = {cell: result["full_test_accuracy"] for cell, (result,) in zip(cells, results)}
    logged = {
        (c["pipeline"], c["train_size"], c["repeat"]): c["full_test_accuracy"]
        for c in map(json.loads, (PAPER / "cells.jsonl").open())
    }
    rows = []
    for name in AUTOENCODERS:
        for size in sizes:
            raw, scaled = (
                [100 * accuracy[(name, s), size, r] for r in repeats] for s in (False, True)
            )
            rows.append(
                {
                    "pipeline": name,
                    "labels": size,
                    "as_in_study": round(np.mean(raw), 1),
                    "standardised_codes": round(np.mean(scaled), 1),
                    "gain": round(np.mean(scaled) - np.mean(raw), 1),
                    "reproduces_log": all(
                        accuracy[(name, False), size, r] == logged[name, size, r] for r in repeats
                    ),
                }
            )
    report("feature_scaling", __doc__.split("\n")[0], rows)
    (RESULTS / "feature_scaling.rst").write_text(
        rst_table(
            ["pipeline", "labels", "as in the study %", "standardised codes %", "gain"],
            [list(row.values())[:5] for row in rows],
        )
    )


if __name__ == "__main__":
    main()
