"""Pointing keywords of a MIRI LRS exposure from its WCS: ``S_REGION``, ``DITH_RA``, ``DITH_DEC``.

As jwst 3.0.0 (``jwst.assign_wcs``): the footprint is the slit's corners
(V2VERT/V3VERT of the specwcs) for the fixed slit, the bounding box on the
sky for slitless; the dithered pointing is the ideal offset (XOFFSET,
YOFFSET) through the telescope attitude, for the fixed slit only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from astropy.modeling import Model
from gwcs import wcs as gwcs_wcs

from .refs import LrsSpecwcs, lrs_specwcs

__all__ = ["dithered_position", "pointing_keywords", "slit_footprint"]


def pointing_keywords(
    wcs: gwcs_wcs.WCS, specwcs_ref: Any, attrs: Mapping[str, Any], slitless: bool
) -> dict[str, Any]:
    """``S_REGION`` (when the corners are known and finite) and, for the fixed slit,
    ``DITH_RA``/``DITH_DEC`` (when the offsets are known)."""
    out: dict[str, Any] = {}
    corners = _bbox_footprint(wcs) if slitless else slit_footprint(wcs, specwcs_ref)
    if corners is not None and np.isfinite(corners).all():
        out["S_REGION"] = "POLYGON ICRS  " + " ".join(f"{v:.9f}" for v in corners.ravel())
    if not slitless:
        dithered = dithered_position(wcs, attrs)
        if dithered is not None:
            out["DITH_RA"], out["DITH_DEC"] = dithered
    return out


def slit_footprint(wcs: gwcs_wcs.WCS, specwcs_ref: Any) -> np.ndarray | None:
    """Slit corners (4, 2) in (RA, Dec) deg from the V2VERT/V3VERT keywords; None without them."""
    spec = specwcs_ref if isinstance(specwcs_ref, LrsSpecwcs) else lrs_specwcs(specwcs_ref)
    if spec.v2_vert is None or spec.v3_vert is None:
        return None
    ra, dec, _ = wcs.transform("v2v3", "world", list(spec.v2_vert), list(spec.v3_vert), 7.0)
    return np.column_stack([ra, dec])


def _bbox_footprint(wcs: gwcs_wcs.WCS) -> np.ndarray:
    """Sky corners (4, 2) of the bounding box (pixel edges), RA in [0, 360) (slitless S_REGION)."""
    corners = wcs.footprint(wcs.bounding_box, center=False, axis_type="spatial")
    corners = np.array(corners[:, :2], dtype=np.float64)
    corners[:, 0] = np.mod(corners[:, 0], 360)
    return corners


def dithered_position(
    wcs: gwcs_wcs.WCS | Model, attrs: Mapping[str, Any]
) -> tuple[float, float] | None:
    """(RA, Dec) deg of the dithered pointing: the ideal offset (XOFFSET, YOFFSET arcsec) on the sky.

    ``wcs`` is the exposure's gwcs or its (V2, V3[, wavelength]) -> (RA, Dec[, ...])
    transform (a spectroscopic one is given wavelength 0: the sky does not depend on it).
    Returns None when the exposure lacks XOFFSET/YOFFSET or V3I_YANG/VPARITY.
    """
    from stdatamodels.jwst.transforms.models import IdealToV2V3

    needed = ("XOFFSET", "YOFFSET", "V3I_YANG", "VPARITY", "V2_REF", "V3_REF")
    if any(attrs.get(k) is None for k in needed):
        return None
    ideal_to_v2v3 = IdealToV2V3(
        float(attrs["V3I_YANG"]),
        float(attrs["V2_REF"]),
        float(attrs["V3_REF"]),
        int(attrs["VPARITY"]),
    )
    v2, v3 = ideal_to_v2v3(float(attrs["XOFFSET"]), float(attrs["YOFFSET"]))
    to_world = wcs.get_transform("v2v3", "world") if isinstance(wcs, gwcs_wcs.WCS) else wcs
    ra, dec = to_world(v2, v3, *[0.0] * (to_world.n_inputs - 2))[:2]
    return float(ra), float(dec)
