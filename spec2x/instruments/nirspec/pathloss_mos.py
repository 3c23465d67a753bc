"""NIRSpec MOS pathloss (called by :func:`spec2x.steps.pathloss.pathloss`).

The MOS ``pathloss`` reference holds two apertures: ``MOS1X1`` (one open
shutter, ``SHUTTERS = 1``) and ``MOS1X3`` (three, ``SHUTTERS = 3``).  As in
jwst 3.0.0 (``_corrections_for_mos``), a slitlet takes:

- the 1x1 aperture when the shutters on both sides of its source shutter are
  closed (or absent), else the 1x3 aperture;
- the point-source curve at its source position, moved one shutter down
  (``y - 1``) when only the shutter below the source is closed, one up when
  only the shutter above is;
- as uniform-source curve, that aperture's, or for a two-shutter slitlet the
  mean of the 1x1 and 1x3 curves (when both exist on the same wavelength grid);
- the curves read at its ``wavelength`` (corrected by wavecorr for point
  sources, both curves; fixed slits use the uncorrected ones for the uniform
  curve, MOS does not).

A slitlet without a matching aperture or whose source lies outside the
position grid is not corrected (``pathloss_correction_type`` ``"NONE"``,
warned).  The per-pixel work is :func:`spec2x._kernels.pathloss.slit_pathloss`,
once per distinct wavelength grid.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import xarray as xr

from ..._kernels import pathloss as kern
from ...errors import ReferenceMismatchError, Spec2xWarning
from ...io.references import Reference
from ...steps._common import require
from .pathloss import apply_pathloss, correction_kind, source_position, warn_outside
from .refs_cal import Pathloss, PathlossAperture

__all__ = ["below_closed", "above_closed", "mos_pathloss", "two_shutter_uniform"]

log = logging.getLogger(__name__)

_REQUIRED = ("sci", "err", "dq", "var_poisson", "var_rnoise")


def below_closed(state: str) -> bool:
    """Whether the shutter below the source (``x``) is closed or absent."""
    at = state.find("x")
    return at == 0 or state[at - 1] == "0"


def above_closed(state: str) -> bool:
    """Whether the shutter above the source (``x``) is closed or absent."""
    at = state.find("x")
    return at == len(state) - 1 or state[at + 1] == "0"


def _aperture(content: Pathloss, state: str) -> PathlossAperture | None:
    wanted = 1 if below_closed(state) and above_closed(state) else 3
    return next((ap for ap in content.apertures if ap.shutters == wanted), None)


def two_shutter_uniform(content: Pathloss) -> tuple[np.ndarray, np.ndarray] | None:
    """Mean uniform curve of ``MOS1X1`` and ``MOS1X3`` (wavelength µm, float64), or None
    when the file does not hold exactly these two on one grid (jwst then uses the aperture's)."""
    by_name = {ap.name.upper(): ap for ap in content.apertures}
    if len(content.apertures) != 2 or set(by_name) != {"MOS1X1", "MOS1X3"}:
        return None
    one, three = by_name["MOS1X1"], by_name["MOS1X3"]
    keys = ("crval1", "crpix1", "cdelt1")
    if one.uniform.shape != three.uniform.shape or one.uniform.ndim != 1:
        return None
    if any(one.uniform_wcs[k] != three.uniform_wcs[k] for k in keys):
        return None
    wcs = one.uniform_wcs
    i = np.arange(1, one.uniform.size + 1, dtype=np.float64)
    wavelength = (wcs["crval1"] + (i - wcs["crpix1"]) * wcs["cdelt1"]) * 1.0e6
    return wavelength, 0.5 * (one.uniform + three.uniform)


def _slitlet_vectors(ds: xr.Dataset, content: Pathloss, name: str, i: int) -> kern.Vectors | None:
    """One slitlet's (point wl, point curve, uniform wl, uniform curve), None: not corrected."""
    state = str(ds["shutter_state"].values[i])
    ap = _aperture(content, state) if state else None
    if ap is None:
        warnings.warn(
            f"pathloss: no aperture for slitlet {name} (shutter state {state!r}); not corrected",
            Spec2xWarning,
            stacklevel=4,
        )
        return None
    xc, yc = source_position(ds, "source_xpos", i), source_position(ds, "source_ypos", i)
    if below_closed(state) and not above_closed(state):
        yc -= 1.0
    elif above_closed(state) and not below_closed(state):
        yc += 1.0
    wl_ps, pl_ps, inside = kern.point_vector(ap.point, ap.point_wcs, xc, yc)
    if not inside:
        warn_outside(name, xc, yc)
        return None
    two = two_shutter_uniform(content) if len(state) == 2 else None
    wl_un, pl_un = two if two is not None else kern.uniform_vector(ap.uniform, ap.uniform_wcs)
    return wl_ps, pl_ps, wl_un, pl_un


def mos_pathloss(
    ds: xr.Dataset,
    reference: Reference,
    *,
    source_type: str | None = None,
    inverse: bool = False,
    overwrite: bool = False,
) -> xr.Dataset:
    """Divide NIRSpec MOS slitlets by their pathloss.

    Parameters
    ----------
    ds : MOS slits product with coords ``wavelength`` (µm) and per-slit
        ``slit_name``, ``shutter_state``, ``srctype``, ``source_xpos``,
        ``source_ypos`` (fractions of the shutter width and height).
    reference : opened MOS ``pathloss`` reference (apertures with ``SHUTTERS``).
    inverse : multiply instead of divide.
    source_type : force every slitlet's correction type (jwst ``source_type``).
    overwrite : write the results into the pixel arrays of ``ds`` when every
        slitlet is corrected (see :func:`~spec2x.instruments.nirspec.pathloss.apply_pathloss`).

    Returns
    -------
    As :func:`spec2x.instruments.nirspec.pathloss.slit_pathloss`.
    """
    require(ds, *_REQUIRED, coords=("wavelength", "slit_name", "shutter_state"), step="pathloss")
    content = reference.content
    if not isinstance(content, Pathloss) or not any(ap.shutters for ap in content.apertures):
        raise ReferenceMismatchError(
            f"{reference.name} is not a NIRSpec MOS pathloss reference (no aperture with "
            "SHUTTERS); give the pathloss file made for MOS"
        )
    names = np.asarray(ds["slit_name"].values).astype(str)
    srctype = np.asarray(ds["srctype"].values).astype(str) if "srctype" in ds.coords else None
    vectors: list[kern.Vectors] = []
    index = np.zeros(len(names), np.intp)
    kind = np.zeros(len(names), np.intp)
    for i, name in enumerate(names):
        found = _slitlet_vectors(ds, content, name, i)
        if found is None:
            continue
        index[i] = len(vectors)
        vectors.append(found)
        kind[i] = correction_kind(source_type or ("" if srctype is None else srctype[i]))
    return apply_pathloss(
        ds, reference, vectors, index, kind, ds["wavelength"].variable, inverse=inverse,
        overwrite=overwrite,
    )  # fmt: skip
