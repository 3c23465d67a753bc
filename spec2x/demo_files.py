"""The demo's modes, and the files a demo writes besides the exposures.

:data:`MODES` names the demo modes (``spec2x --help`` lists them without
importing :mod:`spec2x.demo` and NumPy); :func:`write_nod_association` makes the level-2 association of a nodded
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

__all__ = ["MODES", "move_refs", "write_nod_association"]

#: Demo modes and what they show.
MODES = {
    "mir_lrs_fs": "MIRI LRS fixed slit, nodded pair (nod B is the background of nod A)",
    "mir_lrs_slitless": "MIRI LRS slitless time series (60 integrations, 1 % transit)",
    "nrs_fs": "NIRSpec fixed slit S200A1, G140M/F100LP, nodded pair",
    "nrs_bots": "NIRSpec bright-object time series, S1600A1, G140M/F100LP (60 integrations, "
    "1 % transit)",
    "nrs_mos": "NIRSpec MOS, 20 MSA slitlets (1x3 shutters, 4 background), PRISM/CLEAR",
    "nis_soss": "NIRISS SOSS time series, SUBSTRIP256, orders 1-3 box-extracted "
    "(60 integrations, 1 % transit)",
    "mir_mrs": "MIRI MRS, MIRIFUSHORT channels 1A and 2A, a point source (channel 1A cube)",
    "nrs_ifu": "NIRSpec IFU, PRISM/CLEAR, a point source on a flat sky: cube and spectrum",
    "nrc_wfss": "NIRCam WFSS, F356W/GRISMR, 60 catalogue sources, 12 with injected spectra",
}


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
