"""The studies: seed-0's learning curve, seed-1's autoencoder studies, few labels; crash-safe.

Each study checks its whole request first, locks its output folder, caches its fitted
models by what made them (:func:`fit_cached`), logs finished work as it goes (resumable
after Ctrl-C or a kill) and records the environment that produced its numbers.
"""

from ._cache import cache_key, fit_cached
from ._data import StudyData, study_data
from ._few_labels import (
    FEW_LABELS_PROFILES,
    FewLabelsProfile,
    answer_few_labels,
    format_few_labels,
    run_few_labels,
)
from ._learning_curve import (
    format_summary,
    make_pipelines,
    pretrain_autoencoders,
    run_learning_curve,
    summarize,
)
from ._profiles import PROFILES, SEED1_BEST, SEED1_PROFILES, Profile, Seed1Profile, seed0_design
from ._request import StudyError
from ._seed1 import run_seed1, search_autoencoder

__all__ = [
    "FEW_LABELS_PROFILES",
    "FewLabelsProfile",
    "PROFILES",
    "Profile",
    "SEED1_BEST",
    "SEED1_PROFILES",
    "Seed1Profile",
    "StudyData",
    "StudyError",
    "answer_few_labels",
    "cache_key",
    "fit_cached",
    "format_few_labels",
    "format_summary",
    "make_pipelines",
    "pretrain_autoencoders",
    "run_few_labels",
    "run_learning_curve",
    "run_seed1",
    "search_autoencoder",
    "seed0_design",
    "study_data",
    "summarize",
]
