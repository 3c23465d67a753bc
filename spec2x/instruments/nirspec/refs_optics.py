"""Readers for the NIRSpec optical-model references (ASDF): ote, fore, collimator,
disperser, camera, fpa, msa, wavelengthrange, and the IFU's ifufore, ifuslicer,
ifupost and chromcorr.

Each reader opens the ASDF tree (transforms are deserialised by asdf-astropy and
the ``stdatamodels`` transform extension), checks that the entries the WCS
needs are present, and returns a :class:`~spec2x.io.references.Reference`
whose ``content`` is the tree as a plain ``dict`` (``"model"``, ``"nrs1_model"``,
``"Q1"`` ... ``"Q5"``, ``"groovedensity"`` ...).  Arrays are read into memory
so the file is closed on return.

The trees are kept for the process, keyed by path, modification time and
size (:data:`CACHE_SIZE` files): the exposures of a dither or an association
read each file once (12 files, about 0.45 s of CPU per NIRSpec IFU exposure).
The transforms are shared between the References handed out, so the WCS
builders copy a transform before changing it (``copy.deepcopy``).
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np

from ...errors import InputFileError
from ...io.references import Reference, open_asdf_reference

__all__ = ["CACHE_SIZE", "IFUPOST_PARTS", "REQUIRED_KEYS", "read_nirspec_optics"]

#: Optical-model trees kept per process (a NIRSpec IFU exposure reads 12, MOS 11).
CACHE_SIZE = 32

#: Entries each reference type must hold (a missing one is a broken file).
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "ote": ("model",),
    "fore": ("model",),
    "collimator": ("model",),
    "camera": ("model",),
    "fpa": ("nrs1_model", "nrs2_model"),
    "msa": ("Q1", "Q2", "Q3", "Q4", "Q5"),
    "disperser": ("theta_x", "theta_y", "theta_z", "tilt_y", "gwa_tiltx", "gwa_tilty"),
    "wavelengthrange": ("order", "wavelengthrange", "waverange_selector"),
    "ifufore": ("model",),
    "ifuslicer": ("model", "data"),
    "ifupost": tuple(f"slice_{i}" for i in range(30)),
    "chromcorr": ("model",),
}

#: The transforms of each slice of an ifupost reference.
IFUPOST_PARTS = ("linear", "xpoly", "xpoly_distortion", "ypoly", "ypoly_distortion")


def _materialise(node: Any) -> Any:
    """Copy arrays out of the (closing) ASDF file; recurse into dicts and lists."""
    if isinstance(node, dict):
        return {k: _materialise(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_materialise(v) for v in node]
    if hasattr(node, "__array__") and not hasattr(node, "n_inputs"):
        return np.array(node)
    return node


def read_nirspec_optics(path: str, header: dict[str, Any]) -> Reference:
    """Open a NIRSpec optical-model ASDF reference; ``content`` is its tree as a dict.

    A file read before in the process (same path, modification time and size)
    is not read again: its tree is shared.
    """
    reftype = str(header.get("REFTYPE", "")).lower()
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputFileError(f"cannot read {reftype} reference {path}: {exc}") from exc
    tree = _read_tree(os.path.abspath(path), st.st_mtime_ns, st.st_size, reftype)
    return Reference(reftype, path, header, dict(tree))


@functools.lru_cache(maxsize=CACHE_SIZE)
def _read_tree(path: str, mtime_ns: int, size: int, reftype: str) -> dict[str, Any]:
    """The checked tree of one version of a file (``mtime_ns`` and ``size`` key the cache)."""
    try:
        with open_asdf_reference(path, lazy_load=False) as af:
            tree = {k: _materialise(v) for k, v in af.tree.items() if not k.startswith("asdf_")}
    except (OSError, ValueError) as exc:
        raise InputFileError(f"cannot read {reftype} reference {path}: {exc}") from exc
    missing = [k for k in REQUIRED_KEYS.get(reftype, ()) if k not in tree]
    if reftype == "disperser" and "groovedensity" not in tree and "angle" not in tree:
        missing.append("groovedensity (grating) or angle (prism)")
    if reftype == "msa":
        missing += [
            f"{q}.{part}"
            for q in REQUIRED_KEYS["msa"]
            if q in tree
            for part in ("model", "data")
            if part not in (tree[q] or {})
        ]
    if reftype == "ifupost":
        missing += [
            f"{s}.{part}"
            for s in REQUIRED_KEYS["ifupost"]
            if s in tree
            for part in IFUPOST_PARTS
            if part not in (tree[s] or {})
        ]
    if reftype == "ifuslicer" and "data" in tree and np.shape(tree["data"])[:1] != (30,):
        missing.append(f"data of 30 slices (it has shape {np.shape(tree['data'])})")
    if missing:
        raise InputFileError(
            f"{reftype} reference {path} lacks {', '.join(missing)}; "
            f"is it a NIRSpec {reftype} file in the CRDS format?"
        )
    return tree
