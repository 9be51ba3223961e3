"""The few-label study: tables, flags, resume, partial runs, bad requests."""

import csv

import joblib
import numpy as np
import pytest

from skae._cli import main
from skae.studies import StudyError, run_few_labels
from skae.studies import _few_labels as study
from skae.studies._data import labeled_draw

METHODS = [
    "cnn", "encoder_from_scratch", "fine_tuned", "frozen_svc", "poisson_transductive",
    "poisson_pseudo_cnn", "poisson_pseudo_cnn_transductive",
]  # fmt: skip


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("few_labels")
    rows = run_few_labels("tiny", out=out, methods=METHODS, verbose=0)
    return out, rows


def test_summary_has_the_issues_columns_and_flags(tiny):
    out, rows = tiny
    with (out / "summary.csv").open() as file:
        table = list(csv.DictReader(file))
    assert list(table[0]) == [
        "dataset", "representation", "method", "n_labels", "mean_accuracy", "std_accuracy",
        "n_draws", "transductive", "pretrained", "outdated",
    ]  # fmt: skip
    # 2 data sets x 2 sizes x (cnn, scratch, fine-tuned, svc x 2, poisson x 2, pseudo-labels x 2)
    assert len(rows) == 2 * 2 * 9 and all(row["n_draws"] == 2 for row in rows)
    flags = {(r["method"], r["representation"]): (r["transductive"], r["pretrained"]) for r in rows}
    assert flags[("poisson_transductive", "dense_ae")] == (True, True)
    assert flags[("poisson_transductive", "pixels_pca50")] == (True, False)
    assert flags[("encoder_from_scratch", "dense_ae")] == (False, False)
    assert flags[("fine_tuned", "dense_ae")] == (False, True)
    assert flags[("cnn", "pixels")] == (False, False)
    assert flags[("poisson_pseudo_cnn", "dense_ae")] == (False, True)  # inductive
    assert flags[("poisson_pseudo_cnn_transductive", "dense_ae")] == (True, True)
    assert all(0 <= row["mean_accuracy"] <= 1 for row in rows)
    assert "published: Poisson learning" in (out / "summary_mnist.rst").read_text()
    assert (out / "figures" / "few_labels.png").stat().st_size > 10_000


def test_resume_trains_nothing(tiny, monkeypatch):
    out, rows = tiny

    def refuse(*args):
        raise AssertionError("a finished cell ran again")

    monkeypatch.setattr(study, "_run", refuse)
    assert run_few_labels("tiny", out=out, methods=METHODS, verbose=0) == rows


def test_partial_runs_add_up_to_the_whole(tiny, tmp_path):
    _, rows = tiny
    for _ in range(2):
        run_few_labels("tiny", out=tmp_path, methods=METHODS, max_cells=36, verbose=0)
    cells = study.CellLog(tmp_path / "cells.jsonl").read()
    assert len(cells) == 72
    assert run_few_labels("tiny", out=tmp_path, methods=METHODS, verbose=0) == rows  # seeded


def test_parallel_workers_train_the_cells_of_every_data_set_at_once(tmp_path, monkeypatch):
    """One method at one budget once ran its cells one at a time whatever ``n_jobs`` (a
    pool per data set and draw held one cell)."""
    pools = []

    class Recorded(joblib.Parallel):
        def __call__(self, tasks):
            tasks = list(tasks)
            pools.append((self.n_jobs, len(tasks)))
            return super().__call__(tasks)

    monkeypatch.setattr(study.joblib, "Parallel", Recorded)
    rows = run_few_labels("tiny", out=tmp_path, methods=["cnn"], n_labels=[20], n_jobs=2, verbose=0)
    assert pools == [(2, 4)]  # mnist and fashion, 2 draws each
    assert {(row["dataset"], row["n_draws"]) for row in rows} == {("mnist", 2), ("fashion", 2)}


def test_a_data_set_without_the_asked_budget_is_named(tmp_path, capsys):
    """``--n-labels 50`` over digits (budgets 20, 50) and a 2-class set (budgets 4, 10)
    once ran digits alone, silently."""
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 8, 8)), np.repeat([0, 1], 20)
    np.savez(tmp_path / "two.npz", X=X, y=y)
    args = {"methods": ["frozen_svc"], "n_labels": [50], "max_cells": 0}
    run_few_labels("tiny", out=tmp_path, datasets=["digits", tmp_path / "two.npz"], **args)
    assert "No budget of [50] labels for two (budgets: {'two': [4, 10]})" in capsys.readouterr().out


def test_labeled_draws_are_class_balanced_and_seeded():
    y = np.arange(1000) % 10
    draw = labeled_draw(y, 100, draw=3)
    assert np.bincount(y[draw]).tolist() == [10] * 10
    np.testing.assert_array_equal(draw, labeled_draw(y, 100, draw=3))
    assert not np.array_equal(draw, labeled_draw(y, 100, draw=4))
    with pytest.raises(StudyError, match="multiple of 10"):
        labeled_draw(y, 105, draw=0)


def test_unknown_method_fails_before_any_work(tmp_path):
    with pytest.raises(StudyError, match="Unknown methods"):
        run_few_labels("tiny", out=tmp_path, methods=["tsvm"], verbose=0)
    assert not (tmp_path / "cells.jsonl").exists()


def test_command_line(tmp_path, capsys):
    args = ["few-labels", "--profile", "tiny", "--out", str(tmp_path), "--quiet"]
    assert main([*args, "--methods", "frozen_svc"]) == 0
    printed = capsys.readouterr().out
    assert "frozen_svc on dense_ae" in printed
    assert "use --profile paper to answer the question" in printed  # tiny pretrains too little


def test_command_line_without_finished_cells_says_so(tmp_path, capsys):
    args = ["few-labels", "--profile", "tiny", "--out", str(tmp_path), "--quiet"]
    assert main([*args, "--dataset", "digits", "--max-cells", "0"]) == 0
    assert (
        "No finished cells of this data, profile and precision: no tables or figures written."
        in capsys.readouterr().out
    )
    assert not (tmp_path / "summary.csv").exists()


def test_profiles_say_when_they_pretrain_too_little_to_answer():
    mnist = (10_000, 784)  # the quick profile's pool
    assert "below ~235 200 000" in study.FEW_LABELS_PROFILES["tiny"].pretraining_note(*mnist)
    assert study.FEW_LABELS_PROFILES["quick"].pretraining_note(*mnist) == ""
    assert study.FEW_LABELS_PROFILES["paper"].pretraining_note(60_000, 784) == ""


def test_a_subset_of_cells_runs_the_second_round(tmp_path, capsys):
    """--datasets / --n-labels pick cells of the profile; relabeled: a second CNN is trained."""
    args = ["few-labels", "--profile", "tiny", "--out", str(tmp_path), "--quiet"]
    subset = ["--methods", "poisson_pseudo_cnn_relabeled", "--datasets", "mnist"]
    assert main([*args, *subset, "--n-labels", "50"]) == 0
    cells = study.CellLog(tmp_path / "cells.jsonl").read()
    assert [(c["dataset"], c["n_labels"], c["draw"]) for c in cells] == [
        ("mnist", 50, 0),
        ("mnist", 50, 1),
    ]
    assert all(0.2 < c["accuracy"] <= 1 for c in cells)  # 10 classes: chance is 0.1
    with pytest.raises(StudyError, match="Unknown data set 'cifar10'"):
        run_few_labels("tiny", out=tmp_path, datasets=["cifar10"], verbose=0)


def test_precision_is_recorded_and_cells_of_another_precision_are_not_reused(tmp_path):
    """bfloat16 pretrains the AE (its own cache entry) and trains the pseudo-label CNN; the
    cells that use neither (pixels, the encoder network from scratch) are reused."""
    args = {"out": tmp_path, "datasets": ["digits"], "n_labels": [50], "verbose": 0}
    methods = ["frozen_svc", "encoder_from_scratch", "poisson_pseudo_cnn"]
    fp32 = run_few_labels("tiny", methods=methods, **args)
    bf16 = run_few_labels("tiny", methods=methods, precision="bfloat16", **args)
    cells = study.CellLog(tmp_path / "cells.jsonl").read()
    again = [c for c in cells[len(cells) // 2 :] if c.get("precision") == "bfloat16"]
    assert again and all(study._precision(c) == "bfloat16" for c in again)
    reused = [c for c in cells if study._precision(c) is None]  # run once
    assert all("precision" not in c for c in reused)
    assert {(c["method"], c["representation"]) for c in reused} == {
        ("frozen_svc", "pixels"),
        ("encoder_from_scratch", "dense_ae"),
    }
    assert len(cells) == len(reused) + 2 * len(again)
    assert (tmp_path / "summary.csv").exists() and (tmp_path / "summary_bfloat16.csv").exists()
    assert (tmp_path / "figures" / "few_labels_bfloat16.png").exists()
    assert len(list((tmp_path / "autoencoders").glob("dense_ae_digits-*.joblib"))) == 2
    assert run_few_labels("tiny", methods=methods, precision="bfloat16", max_cells=0, **args)
    run_few_labels("tiny", methods=methods, **args)  # all done: nothing computed
    runs = study.CellLog(tmp_path / "runs.jsonl").read()
    assert [run["precision"] for run in runs] == ["float32", "bfloat16"]
    assert len(bf16) == len(fp32) and [r["method"] for r in bf16] == [r["method"] for r in fp32]
    for a, b in zip(fp32, bf16):  # the same study, in another arithmetic
        assert abs(a["mean_accuracy"] - b["mean_accuracy"]) < 0.1, (a, b)
    with pytest.raises(StudyError, match="Unknown precision 'half'"):
        run_few_labels("tiny", methods=methods, precision="half", **args)


def test_the_ladder_network_is_an_autoencoder_method_trained_on_the_pool(tmp_path):
    """Both variants; the convolutional one (hours per cell on a CPU) runs only when named,
    in the study's precision."""
    methods = ["ladder_fc", "ladder_conv"]
    args = {"out": tmp_path, "datasets": ["digits"], "n_labels": [50], "verbose": 0}
    rows = run_few_labels("tiny", methods=methods, precision="bfloat16", **args)
    cells = study.CellLog(tmp_path / "cells.jsonl").read()
    assert {c["method"] for c in cells} == set(methods) and all(c["pretrained"] for c in cells)
    assert {c["method"]: c.get("precision") for c in cells} == {
        "ladder_fc": None,
        "ladder_conv": "bfloat16",
    }
    assert all(r["mean_accuracy"] > 0.2 for r in rows)  # 10 classes: chance is 0.1
    assert not (tmp_path / "autoencoders").exists()  # pixel methods pretrain nothing
    assert "ladder_conv" not in study._selected(None) and "ladder_fc" in study._selected(None)


def test_cells_of_an_earlier_method_revision_run_again(tmp_path, monkeypatch, capsys):
    """A method whose code changed its results (``Method.revision`` raised) is not answered
    from its old cells: until they run again the tables show them marked, never mixed with
    new ones; then they run again; the log keeps both; cells of a removed method are ignored."""
    args = {"out": tmp_path, "datasets": ["digits"], "n_labels": [50], "verbose": 1}
    methods = ["poisson_inductive", "frozen_svc"]
    before = run_few_labels("tiny", methods=methods, **args)
    log = study.CellLog(tmp_path / "cells.jsonl")
    n_before = len(log.read())
    first = log.read()[0]
    log.append(first | {"method": "since_removed"})
    log.append(first | {"representation": "pixels_pca20"})  # a representation since removed
    log.append(first | {"method": "poisson_inductive", "representation": "pixels"})  # not run
    current = study.METHODS["poisson_inductive"]
    bumped = current._replace(revision=7)
    monkeypatch.setitem(study.METHODS, "poisson_inductive", bumped)
    capsys.readouterr()
    marked = run_few_labels("tiny", methods=methods, **args | {"max_cells": 0})
    assert "run again" not in capsys.readouterr().out  # nothing runs
    assert [r["outdated"] for r in marked] == [r["method"] == "poisson_inductive" for r in before]
    assert [r["mean_accuracy"] for r in marked] == [r["mean_accuracy"] for r in before]
    table = (tmp_path / "summary_digits.rst").read_text()
    assert table.count(" †") == 2 and "† computed by another revision" in table  # 2 reps
    after = run_few_labels("tiny", methods=methods, **args)
    assert "Cells of poisson_inductive computed by other code run again" in capsys.readouterr().out
    cells = log.read()
    new = cells[n_before + 3 :]
    assert new and {c["method"] for c in new} == {"poisson_inductive"}
    assert all(c["revision"] == 7 for c in new)
    assert len(new) == n_before // 2  # the SVC's cells reused
    assert [r["method"] for r in after] == [r["method"] for r in before]
    assert (
        not any(r["outdated"] for r in after)
        and "†" not in (tmp_path / "summary_digits.rst").read_text()
    )
    old = {c["method"]: c.get("revision") for c in cells[:n_before]}
    assert old == {"poisson_inductive": current.revision, "frozen_svc": None}  # 0: not logged
    monkeypatch.setitem(study.METHODS, "poisson_inductive", current)
    assert run_few_labels("tiny", methods=methods, **args | {"max_cells": 0}) == before


def _inductive_rows(dataset, n_labels, *methods):
    """Summary rows of ``(representation, method, mean accuracy, pretrained)`` methods."""
    return [
        {"dataset": dataset, "representation": rep, "method": method, "n_labels": n_labels,
         "mean_accuracy": accuracy, "std_accuracy": 0.0, "n_draws": 2, "transductive": False,
         "pretrained": pretrained}
        for rep, method, accuracy, pretrained in methods
    ]  # fmt: skip


def test_outdated_rows_stay_out_of_the_figure_and_the_answer(monkeypatch, tmp_path):
    """A † row (another revision of its method's code) is shown in the tables only: the
    figure and the answer to "does pretraining help?" come from current rows."""

    rows = _inductive_rows("digits", 50, ("dense_ae", "cnn", 0.8, False),
                           ("dense_ae", "frozen_svc", 0.7, True),
                           ("dense_ae", "poisson_inductive", 0.9, True))  # fmt: skip
    rows[2]["outdated"] = True
    answer = study.answer_few_labels(rows, "digits")
    assert "pretraining does not help (-10.00 points)" in answer and "poisson" not in answer
    drawn = []
    monkeypatch.setattr("skae.plots.plot_few_labels", lambda rows, **kw: drawn.append(rows))
    monkeypatch.setattr(study, "save_figures", lambda *a, **k: None)
    study._write(rows, tmp_path, {})
    assert drawn == [rows[:2]]
    table = (tmp_path / "summary_digits.rst").read_text()
    assert "90.00 ± 0.00 †" in table and table.count("†") == 2  # the value, the footnote
    figure = tmp_path / "figures" / "few_labels.png"
    figure.parent.mkdir()
    figure.write_bytes(b"a figure of cells since outdated")
    only_outdated = [r | {"outdated": True} for r in rows]
    study._write(only_outdated, tmp_path, {})  # once: plot_few_labels([]) raised
    assert drawn == [rows[:2]] and not figure.exists()
    assert study.answer_few_labels(only_outdated, "digits") == study.NO_ANSWER


def test_a_gap_within_the_test_sets_noise_answers_neither_way():
    """A 2-class folder of 3 images per class once said "does not help (-50.0 points)" from
    2 test images."""
    rows = _inductive_rows("tiny", 2, ("pixels", "cnn", 1.0, False),
                           ("dense_ae", "frozen_svc", 0.5, True))  # fmt: skip
    assert "does not help (-50.00 points)" in study.answer_few_labels(rows, "tiny")
    answer = study.answer_few_labels(rows, "tiny", n_test=2)
    assert answer.startswith("2 labels: no answer, the gap is within the noise of 2 test images")
    assert "noise ±69.30" in answer  # 1.96 * sqrt((0.25 + 0) / 2)
    assert "does not help (-50.00 points)" in study.answer_few_labels(rows, "tiny", n_test=1000)


def test_answers_give_the_gap_as_the_tables_give_the_means():
    """A 0.04-point gap once printed as "+0.0 points" beside means of two decimals, and a
    tie without a test-set size as "within the noise of None test images"."""
    rows = _inductive_rows("d", 100, ("pixels", "cnn", 0.9911, False),
                           ("pixels", "ladder_conv", 0.9915, True))  # fmt: skip
    answer = study.answer_few_labels(rows, "d")
    assert answer == (
        "100 labels: pretraining helps (+0.04 points): pretrained ladder_conv on pixels "
        "99.15 % vs without pretraining cnn on pixels 99.11 %"
    )
    assert "(+0.04 points, noise ±0.26)" in study.answer_few_labels(rows, "d", n_test=10_000)
    tie = [row | {"mean_accuracy": 0.5} for row in rows]
    assert study.answer_few_labels(tie, "d").startswith(
        "100 labels: pretraining does not help (+0.00 points)"
    )
