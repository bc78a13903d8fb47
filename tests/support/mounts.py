"""Real file systems for storage tests: a small tmpfs (a disk that fills up) and a
read-only bind mount (a database file the server cannot write). Both need mount rights
(root in the test container); without them the tests that use them are skipped."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _mount(*args: str) -> None:
    result = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = f"cannot mount ({result.stderr.strip() or result.returncode}); needs root"
        if os.environ.get("CI"):  # CI runs as root: a mount that fails there is a failure
            pytest.fail(message)
        pytest.skip(message)


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@contextmanager
def small_disk(size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (e.g. "16m"): writing past it fails with ENOSPC, as a full disk."""
    path = Path(tempfile.mkdtemp(prefix="rapport-disk-"))
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    try:
        yield path
    finally:
        _umount(path)
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def read_only_view(directory: Path) -> Iterator[Path]:
    """``directory`` seen through a read-only bind mount (EROFS on every write)."""
    path = Path(tempfile.mkdtemp(prefix="rapport-ro-"))
    _mount("--bind", str(directory), str(path))
    try:
        _mount("-o", "remount,bind,ro", str(path))
        yield path
    finally:
        _umount(path)
        shutil.rmtree(path, ignore_errors=True)
