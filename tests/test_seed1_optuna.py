"""Seed-1's Optuna search, tiny profile (seconds): trials add up, resume, figures, bad input."""

import json
import subprocess
import sys

import pytest

pytest.importorskip("optuna")
pytest.importorskip("optuna_integration")

import skae.studies._seed1 as seed1_module  # noqa: E402
from skae import ConvAETransformer  # noqa: E402
from skae._base import TorchEstimator  # noqa: E402
from skae._cli import main  # noqa: E402
from skae.studies import SEED1_PROFILES, StudyError, run_seed1  # noqa: E402
from skae.studies._optuna import (  # noqa: E402
    finished_trials,
    open_study,
    optuna_space,
    run_trials,
    search_figures,
)

TINY = SEED1_PROFILES["tiny"]
FIGURES = ("search_parallel_coordinates", "search_history", "search_importances")


class Searched(Exception):
    """Raised where run_seed1's model training would start: the search is done."""


@pytest.fixture
def search_only(monkeypatch):
    """run_seed1 stops after its search (the models stage takes a minute even when tiny)."""

    def stop(*args, **kwargs):
        raise Searched

    monkeypatch.setattr(seed1_module, "fit_cached", stop)


@pytest.fixture
def no_training(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("a model was trained")

    monkeypatch.setattr(TorchEstimator, "_fit_net", fail)


def test_tiny_search_twice_adds_up_and_trains_nothing_new(tmp_path, search_only, monkeypatch):
    with pytest.raises(Searched):
        run_seed1("tiny", search="optuna", out=tmp_path, verbose=0)
    trials = json.loads((tmp_path / "trials.json").read_text())
    assert len(trials) == TINY.optuna_trials
    assert {t["state"] for t in trials} <= {"COMPLETE", "PRUNED"}
    assert all(set(t["params"]) == set(optuna_space()) for t in trials)
    assert (tmp_path / "search.db").stat().st_size > 0
    for name in FIGURES:
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 5_000
    monkeypatch.setattr(TorchEstimator, "_fit_net", lambda *a, **k: pytest.fail("trained"))
    with pytest.raises(Searched):  # the second run finds the study complete
        run_seed1("tiny", search="optuna", out=tmp_path, verbose=0)
    assert json.loads((tmp_path / "trials.json").read_text()) == trials


def test_ctrl_c_then_resume_runs_only_the_missing_trials(
    tmp_path, mnist_small, ctrl_c, monkeypatch
):
    X, url = mnist_small[0][:300], f"sqlite:///{tmp_path / 'search.db'}"
    study = open_study(url, images=300, epochs=2)
    run_trials(study, X, n_trials=1, max_epochs=2)  # a smaller budget first
    ctrl_c(ConvAETransformer, epoch=1)
    with pytest.warns(UserWarning, match="interrupted"), pytest.raises(KeyboardInterrupt):
        run_trials(study, X, n_trials=3, max_epochs=2)
    monkeypatch.undo()
    study = open_study(url, images=300, epochs=2)  # as a new process would
    run_trials(study, X, n_trials=3, max_epochs=2)
    assert [t.state.name for t in study.trials].count("FAIL") == 1
    finished = finished_trials(study)
    assert len(finished) == 3 and len(study.trials) == 4
    # the resumed sampler is seeded anew: it does not replay the first trial's settings
    assert len({json.dumps(t.params, sort_keys=True) for t in finished}) == 3


def test_study_of_another_search_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'search.db'}"
    study = open_study(url, images=300, epochs=2)
    with pytest.raises(StudyError, match="another search .*epochs 2 instead of 3"):
        open_study(url, images=300, epochs=3)
    other = study.user_attrs["search"]
    other["space"] = {**other["space"], "latent_dim": other["space"]["dropout"]}
    study.set_user_attr("search", other)
    with pytest.raises(StudyError, match="search space of latent_dim"):
        open_study(url, images=300, epochs=2)


def seed1_cli(tmp_path, *options):
    out = ["--out", str(tmp_path / "out"), "--quiet"]
    return main(["seed1", "--profile", "tiny", "--search", "optuna", *out, *options])


def test_cli_refuses_bad_storage_and_other_search_before_training(tmp_path, capsys, no_training):
    missing_folder = f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}"
    for url in (missing_folder, "nosuchdialect://host/db", "sqlite:///:memory:"):
        assert seed1_cli(tmp_path, "--storage", url) == 1
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and "cannot open the Optuna storage" in error
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    open_study(url, images=TINY.search_images, epochs=TINY.optuna_epochs + 1)
    assert seed1_cli(tmp_path, "--storage", url) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "another search" in error
    args = ["seed1", "--profile", "tiny", "--storage", url, "--out", str(tmp_path)]
    assert main(args) == 1  # a storage without --search optuna
    assert "search='optuna' only" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["seed1", "--search", "grid"])
    assert "invalid choice: 'grid'" in capsys.readouterr().err


def test_importances_without_two_values_is_a_note():
    import optuna

    study = optuna.create_study()
    study.add_trial(
        optuna.trial.create_trial(
            params={"lr": 1e-3},
            distributions={"lr": optuna_space()["lr"]},
            value=0.1,
        )
    )
    figures = search_figures(study)
    assert set(figures) == set(FIGURES)
    texts = [t.get_text() for t in figures["search_importances"].axes[0].texts]
    assert "need two completed trials" in texts[0]


def test_import_skae_and_studies_loads_no_optuna():
    code = "import sys, skae, skae.studies; assert 'optuna' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
