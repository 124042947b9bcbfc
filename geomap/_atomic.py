"""Writing outputs so that no reader ever sees half a file and nothing is clobbered."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from geomap.errors import OutputExistsError

__all__ = ["atomic_path", "atomic_text", "refuse_existing"]


def refuse_existing(path: Path) -> None:
    if path.exists():
        raise OutputExistsError(
            f"{path} already exists; expected a new output path; pass --overwrite "
            "(overwrite=True) to replace it"
        )


@contextlib.contextmanager
def atomic_path(path: str | Path, *, overwrite: bool, suffix: str = ".tmp") -> Iterator[Path]:
    """A temp path beside ``path``; renamed over it only when the block succeeds.

    The existing file is checked before and again just before the rename (it may
    have appeared meanwhile); on any failure the temp file is removed.
    """
    path = Path(path)
    if not overwrite:
        refuse_existing(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the output from other users
        if not overwrite:
            refuse_existing(path)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_text(path: str | Path, *, overwrite: bool) -> Iterator[IO[str]]:
    """A UTF-8 text file handle whose content appears at ``path`` only when complete."""
    with (
        atomic_path(path, overwrite=overwrite) as tmp,
        open(tmp, "w", encoding="utf-8", newline="\n") as fh,
    ):
        yield fh
