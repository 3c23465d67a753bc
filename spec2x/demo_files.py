"""The files a demo writes besides the exposures: its association and its reference folder.

:func:`write_nod_association` makes the level-2 association of a nodded
demo (the nod partner as the background member, as jwst's association rules
make it); :func:`move_refs` gathers the synthetic references into the one
folder ``spec2x run --refs DIR`` reads (:mod:`spec2x.demo`).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["move_refs", "write_nod_association"]


def write_nod_association(
    path: str | os.PathLike[str],
    science: str | os.PathLike[str],
    backgrounds: Sequence[Any],
    *,
    imprints: Sequence[Any] = (),
) -> Path:
    """Write a level-2 spectroscopic association: ``science`` with ``backgrounds`` as its
    background members and ``imprints`` as its imprint members (file names relative to the
    association, as jwst writes them)."""
    path = Path(path)
    members = [{"expname": Path(science).name, "exptype": "science"}]
    members += [{"expname": Path(b).name, "exptype": "background"} for b in backgrounds]
    members += [{"expname": Path(b).name, "exptype": "imprint"} for b in imprints]
    tree = {
        "asn_type": "spec2",
        "asn_rule": "Asn_Lv2SpecSpecial",
        "asn_id": "a3001",
        "asn_pool": "spec2x_demo",
        "program": "09999",
        "target": "t001",
        "version_id": None,
        "code_version": "spec2x",
        "degraded_status": "No known degraded exposures in association.",
        "products": [{"name": Path(science).name.rsplit("_", 1)[0], "members": members}],
    }
    path.write_text(json.dumps(tree, indent=2))
    return path


def move_refs(paths: dict[str, Path], refs_dir: Path, keep: Path | None = None) -> dict[str, str]:
    """Move reference files into ``refs_dir`` (copy those outside ``keep``: the
    package's own files); return reftype -> new path."""
    refs_dir.mkdir(parents=True, exist_ok=True)
    moved: dict[str, str] = {}
    for reftype, path in paths.items():
        target = refs_dir / Path(path).name
        if keep is not None and not Path(path).resolve().is_relative_to(keep.resolve()):
            shutil.copyfile(path, target)
        elif Path(path).resolve() != target.resolve():
            shutil.move(os.fspath(path), target)
        moved[reftype] = str(target)
    return moved
