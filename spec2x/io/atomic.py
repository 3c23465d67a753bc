"""Crash-safe replacement of products, and the clean-up after runs that were killed.

Everything a writer leaves beside a product while it works carries its
owner, ``<host>-<pid>`` (``host``: 8 hex digits of the machine's name), so a
later run can tell the leftovers of a dead process from the work of a live
one:

- staging folders ``.spec2x-<base>-<owner>-<id>/`` (:func:`staging_dir`);
- temporaries ``.<name>.<owner>-<id>.tmp`` (a file or store being written,
  :func:`temp_path`);
- backups ``.<name>.<owner>-<id>.old`` (the previous product while the new
  one is renamed in, :func:`replace`).

:func:`replace` never passes through a state where neither the old product
nor the new one is whole under some name; :func:`recover` restores a backup
whose product is missing and removes the rest of a dead run's leftovers.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Recovery", "owner_tag", "recover", "replace", "staging_dir", "temp_path"]

log = logging.getLogger(__name__)

_OWNER = r"(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-[0-9a-f]{8}"
_STAGING = re.compile(rf"^\.spec2x-.+-{_OWNER}$")
_LEFTOVER = re.compile(rf"^\.(?P<name>.+)\.{_OWNER}\.(?P<what>tmp|old)$")
#: names an older spec2x used (no owner): reported, never removed.
_UNOWNED = re.compile(r"^\.(spec2x-.+-[0-9a-f]{8}|.+\.[0-9a-f]{8}\.(tmp|old))$")


def _host() -> str:
    return f"{zlib.crc32(socket.gethostname().encode()):08x}"


def owner_tag() -> str:
    """``<host>-<pid>`` of this process, as carried by the names of its temporaries."""
    return f"{_host()}-{os.getpid()}"


def _unique() -> str:
    return f"{owner_tag()}-{uuid.uuid4().hex[:8]}"


def temp_path(path: str | os.PathLike[str]) -> Path:
    """A hidden name beside ``path`` to write it under before it is renamed into place."""
    path = Path(path)
    return path.parent / f".{path.name}.{_unique()}.tmp"


def staging_dir(folder: str | os.PathLike[str], base: str) -> Path:
    """Create and return a hidden staging folder for the products of ``base`` in ``folder``."""
    staging = Path(folder) / f".spec2x-{base}-{_unique()}"
    staging.mkdir()
    return staging


def replace(new: str | os.PathLike[str], final: str | os.PathLike[str]) -> None:
    """Put ``new`` (a file or a folder such as a Zarr store) in place of ``final``.

    A file is renamed over the old one (one atomic rename).  A folder cannot
    be renamed over a folder that is not empty, so the old one is first
    renamed to a hidden backup, the new one renamed in, then the backup
    deleted: at every moment either ``final`` or its backup is whole, and
    :func:`recover` puts a backup back if the process dies in between.

    Raises
    ------
    OSError
        A rename failed (the old product is back in place).
    """
    new, final = Path(new), Path(final)
    if not (new.is_dir() or final.is_dir()) or not os.path.lexists(final):
        os.replace(new, final)
        return
    backup = final.parent / f".{final.name}.{_unique()}.old"
    os.replace(final, backup)
    try:
        os.replace(new, final)
    except OSError:
        os.replace(backup, final)
        raise
    _remove(backup)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _dead(host: str, pid: str) -> bool:
    """Whether the owner ran on this machine and is no longer running."""
    if host != _host():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False


@dataclass
class Recovery:
    """What :func:`recover` found in a folder.

    Attributes
    ----------
    removed : staging folders, temporaries and spent backups deleted (names).
    restored : products put back from their backup (names).
    left : leftovers of another machine or an older spec2x, reported only.
    """

    removed: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)

    def message(self, folder: str | os.PathLike[str]) -> str:
        """One line saying what was done, or "" when nothing was found."""
        parts = []
        if self.removed:
            parts.append(f"removed {len(self.removed)} leftover(s) of killed runs")
        if self.restored:
            parts.append(f"restored {', '.join(self.restored)} from its backup")
        if self.left:
            parts.append(
                f"left {', '.join(self.left)} (another machine's or an older spec2x's): "
                "remove it by hand if no run is writing there"
            )
        return f"{folder}: {'; '.join(parts)}" if parts else ""


def recover(folder: str | os.PathLike[str], *, before: float | None = None) -> Recovery:
    """Clean ``folder`` of what dead runs left and put back products they took away.

    Staging folders, temporaries and backups whose owner ran on this machine
    and is gone are handled: a backup whose product is missing is renamed
    back (the run died between the two renames of :func:`replace`), anything
    else is deleted.  Leftovers of another machine, or unowned ones from an
    older spec2x, last changed before ``before`` (a POSIX time; None: any)
    are reported.  Logs one line when anything was found.

    Returns
    -------
    What was removed, restored and left.
    """
    folder = Path(folder)
    found = Recovery()
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return found
    for entry in entries:
        _recover_one(folder, entry, before, found)
    text = found.message(folder)
    if text:
        log.warning(text)
    return found


def _recover_one(
    folder: Path, entry: os.DirEntry[str], before: float | None, found: Recovery
) -> None:
    name = entry.name
    path = folder / name
    match = _LEFTOVER.match(name) or (_STAGING.match(name) if entry.is_dir() else None)
    if match is None:
        if _UNOWNED.match(name) and _older(path, before):
            found.left.append(name)
        return
    if not _dead(match["host"], match["pid"]):
        if match["host"] != _host() and _older(path, before):
            found.left.append(name)
        return
    product = folder / match["name"] if "name" in match.groupdict() else None
    if product is not None and match["what"] == "old" and not os.path.lexists(product):
        os.replace(path, product)
        found.restored.append(product.name)
        return
    _remove(path)
    found.removed.append(name)


def _older(path: Path, before: float | None) -> bool:
    try:
        return before is None or path.lstat().st_mtime < before
    except OSError:
        return False
