"""A study request checked whole before any work: profile, device, data."""

from numbers import Integral

from .. import _checks, _precision


class StudyError(ValueError):
    """A study request that cannot run: unknown names, missing data, busy output folder."""


def resolve_profile(profile, profiles):
    """A profile object from a name of ``profiles`` (or the object itself)."""
    if not isinstance(profile, str):
        return profile
    if profile not in profiles:
        raise StudyError(f"Unknown profile {profile!r}; choose from {sorted(profiles)}.")
    return profiles[profile]


def check_run_options(n_jobs=1, max_cells=None):
    """Fail before any work on a worker count joblib cannot use or a negative cell budget."""
    if n_jobs is not None and (not _is_int(n_jobs) or n_jobs == 0):
        raise StudyError(
            f"n_jobs must be None (1) or a nonzero int (-1: all cores), got {n_jobs!r}."
        )
    if max_cells is not None and (not _is_int(max_cells) or max_cells < 0):
        raise StudyError(f"max_cells must be None or an int >= 0, got {max_cells!r}.")


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def check_device(device):
    """Fail before any work if ``device`` is not a torch device this machine has."""
    try:
        _checks.check_device(device)
    except ValueError as error:
        raise StudyError(str(error)) from None


def check_precision(precision, device):
    """Fail before any work on an unknown precision; warn where it is slower than float32."""
    if precision not in _precision.PRECISIONS:
        raise StudyError(
            f"Unknown precision {precision!r}; choose from {list(_precision.PRECISIONS)}."
        )
    _precision.check_precision(precision, device)


def load_images(dataset, subset, data_home):
    """``(X, y)`` of ``"mnist"`` or ``"fashion"``; missing files raise :class:`StudyError`."""
    from ..datasets import fetch_fashion_mnist, fetch_mnist

    loader = {"mnist": fetch_mnist, "fashion": fetch_fashion_mnist}[dataset]
    try:
        return loader(data_home=data_home, subset=subset, return_X_y=True)
    except OSError as error:
        raise StudyError(str(error)) from error
