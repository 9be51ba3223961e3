"""What a study leaves on disk, written so that a kill, a full disk or a second run loses nothing.

* :func:`write_atomic`: a file is replaced whole or not at all (temporary file, then rename).
* :class:`CellLog`: the resume log, one JSON line per finished cell, flushed to disk as it is
  written; a torn last line (a run killed mid-write) is dropped with a warning.
* :func:`locked`: one run at a time per output folder.
* :func:`environment`: what produced a run's numbers (versions, threads, device, processor).
"""

import csv
import json
import os
import platform
import socket
import time
import uuid
import warnings
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from ._request import StudyError


@contextmanager
def write_atomic(path, mode="w"):
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one rename."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open(mode) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


class CellLog:
    """Append-only JSON-lines log of finished work, safe to resume after any stop."""

    def __init__(self, path):
        self.path = Path(path)

    def read(self):
        """The logged records. A torn last line is cut off the file with a warning."""
        if not self.path.exists():
            return []
        text = self.path.read_bytes()
        records, start = [], 0
        while start < len(text):
            end = text.find(b"\n", start)
            complete = end != -1
            line = text[start : end if complete else len(text)]
            try:
                if line.strip():
                    records.append(json.loads(line))
            except json.JSONDecodeError:
                if complete and text[end + 1 :].strip():
                    raise StudyError(
                        f"{self.path} is corrupt at byte {start} (not a torn last line); "
                        "move it aside to start the study afresh."
                    ) from None
                warnings.warn(
                    f"Ignoring the torn last line of {self.path} (a run stopped while writing "
                    "it); that cell runs again.",
                    UserWarning,
                )
                self._truncate(start)
                break
            if not complete:  # a whole record without its newline: finish the line
                with self.path.open("ab") as file:
                    file.write(b"\n")
            start = end + 1 if complete else len(text)
        return records

    def append(self, record):
        """Write one record as one line and push it to disk before returning."""
        with self.path.open("a") as file:
            file.write(json.dumps(record) + "\n")
            file.flush()
            os.fsync(file.fileno())

    def _truncate(self, size):
        with self.path.open("r+b") as file:
            file.truncate(size)


@contextmanager
def locked(folder):
    """Hold ``<folder>/.lock`` for the duration; a second run on the folder fails at once.

    The lock is an OS file lock (``flock``), released by the kernel when its process ends,
    however it ends: the lock file a killed run leaves behind never blocks a later run.
    """
    import fcntl  # POSIX; the studies' lock is not implemented on Windows

    path = Path(folder) / ".lock"
    with path.open("a+") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read().strip() or "another process"
            raise StudyError(
                f"{folder} is in use by another run ({holder}); wait for it to end or choose "
                "another output folder."
            ) from None
        file.seek(0)
        file.truncate()
        started = time.strftime("%Y-%m-%d %H:%M:%S")
        file.write(f"pid {os.getpid()} on {socket.gethostname()}, started {started}\n")
        file.flush()
        try:
            yield
        finally:
            file.truncate(0)
            fcntl.flock(file, fcntl.LOCK_UN)


# What the tables' captions and the printed answers read of a data set's description.
_DESCRIBED = {"title", "image_shape", "classes", "pool", "test", "test_source", "content_sha256"}


def read_datasets(out, precision="float32"):
    """What each data set of ``out``'s tables in ``precision`` is: ``datasets.json`` (or
    ``datasets_<precision>.json``, beside that precision's tables), ``{}`` when absent."""
    path = _datasets_path(out, precision)
    try:
        descriptions = json.loads(path.read_text()) if path.exists() else {}
    except ValueError:  # not JSON
        descriptions = None
    if not (
        isinstance(descriptions, dict)
        and all(isinstance(d, dict) and _DESCRIBED <= d.keys() for d in descriptions.values())
    ):
        raise StudyError(
            f"{path} is not a JSON object of data sets, each with {sorted(_DESCRIBED)}: "
            "delete it (each run that writes tables describes the data sets it was given)."
        )
    return descriptions


def describe_datasets(out, descriptions, precision="float32"):
    """Merge ``descriptions`` (``{name: description}``) into the data sets' file of ``out``'s
    tables in ``precision`` (see :func:`read_datasets`), as those tables are written: the
    file describes the data the tables show, even after the data changed."""
    merged = {**read_datasets(out, precision), **descriptions}
    with write_atomic(_datasets_path(out, precision)) as file:
        json.dump(merged, file, indent=2)
    return merged


def _datasets_path(out, precision):
    return Path(out) / f"{with_precision('datasets', precision)}.json"


def with_precision(stem, precision="float32"):
    """``stem`` for float32, ``<stem>_<precision>`` otherwise: the results of a run in another
    precision go to files of their own instead of replacing the float32 ones."""
    return stem if precision == "float32" else f"{stem}_{precision}"


def write_tables(rows, folder, stem, columns):
    """``rows`` as ``<stem>.csv`` (the given columns) and ``<stem>.json`` (whole), atomically."""
    with write_atomic(Path(folder) / f"{stem}.csv") as file:
        writer = csv.DictWriter(file, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    with write_atomic(Path(folder) / f"{stem}.json") as file:
        json.dump(rows, file, indent=1)


def rst_table(header, body):
    """A reStructuredText simple table (the docs include these files)."""
    widths = [max(len(str(r[i])) for r in [header, *body]) for i in range(len(header))]
    rule = "  ".join("=" * w for w in widths)
    lines = [rule, "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(), rule]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in body]
    return "\n".join([*lines, rule, ""])


def as_json(profile):
    """A profile dataclass as it reads back from a log (tuples become lists)."""
    return json.loads(json.dumps(asdict(profile)))


def environment(device="cpu", **settings):
    """What produces a run's numbers: library versions, torch threads, device, processor.

    Floating-point sums depend on the thread count and the processor's vector units, so two
    runs are comparable bit for bit only when these match.
    """
    import numpy
    import sklearn
    import skorch
    import torch

    from .. import __version__

    cuda = str(device).startswith("cuda") and torch.cuda.is_available()
    return {
        "run": uuid.uuid4().hex[:12],
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "skae": __version__,
        "torch": torch.__version__,
        "sklearn": sklearn.__version__,
        "skorch": skorch.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
        "torch_threads": torch.get_num_threads(),
        "device": str(device),
        "cpu": _cpu_name(),
        "gpu": torch.cuda.get_device_name(torch.device(device)) if cuda else None,
        **settings,
    }


def _cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
