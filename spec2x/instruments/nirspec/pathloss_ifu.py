"""NIRSpec IFU pathloss (called by :func:`spec2x.steps.pathloss.pathloss`).

As jwst 3.0.0 (``do_correction_ifu``): the source is taken at the centre of
the aperture (jwst assumes IFU sources centred), the point-source and
uniform-source curves of the reference's first aperture are read at each
pixel's wavelength (float32, the slice the slice map gives the pixel), and
the data are divided by the point-source curve when SRCTYPE (or
``source_type``) is ``POINT``, else by the uniform one.  Pixels whose
wavelength lies outside the curve, or that are in no slice, get a NaN
pathloss, hence NaN data and ``DO_NOT_USE``.  Both 2-D corrections are kept
(``pathloss_point``, ``pathloss_uniform``), as jwst keeps them.
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from ..._kernels import pathloss as kern
from ...errors import ReferenceMismatchError
from ...io.references import Reference
from ...steps._common import record_step, require
from ...steps._scale import scale_by
from .pathloss import correction_kind
from .refs_cal import Pathloss

__all__ = ["ifu_pathloss"]

log = logging.getLogger(__name__)


def _on_slices(wavelength: np.ndarray, *curves: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray]:
    """Each (wavelength grid, curve) interpolated at the pixels with a wavelength (NaN elsewhere,
    as :func:`~spec2x._kernels.pathloss.interpolate_onto_grid` gives a NaN wavelength)."""
    finite = np.isfinite(wavelength)
    at = wavelength[finite]
    out = []
    for grid, curve in curves:
        values = np.full(wavelength.shape, np.nan)
        values[finite] = kern.interpolate_onto_grid(at, grid, curve)
        out.append(values)
    return out


def ifu_pathloss(
    ds: xr.Dataset,
    reference: Reference,
    *,
    inverse: bool = False,
    source_type: str | None = None,
    overwrite: bool = False,
) -> xr.Dataset:
    """Divide a NIRSpec IFU exposure by the pathloss of a centred source.

    Parameters
    ----------
    ds : IFU exposure ``(y, x)`` with the ``wavelength`` coordinate (µm) of
        assign_wcs.
    reference : the IFU ``pathloss`` reference (its first aperture is used).
    inverse : multiply instead of divide.
    source_type : ``"POINT"`` or ``"EXTENDED"`` instead of SRCTYPE.
    overwrite : write the results into the pixel arrays of ``ds`` (NumPy-backed
        data) instead of new ones, for a caller that owns them (the chain,
        :mod:`spec2x.ownership`): ``ds`` is changed.

    Returns
    -------
    Dataset with the data divided, ``pathloss_point`` and ``pathloss_uniform``
    (y, x), ``S_PTHLOS``.

    Raises
    ------
    ReferenceMismatchError
        The reference is not a pathloss file, has no aperture, or its
        point-source grid does not hold the aperture centre.
    """
    require(ds, "sci", "err", "dq", "var_poisson", "var_rnoise", coords=("wavelength",),
            step="pathloss")  # fmt: skip
    content = reference.content
    if not isinstance(content, Pathloss) or not content.apertures:
        raise ReferenceMismatchError(
            f"{reference.name} is not a pathloss reference with an aperture; give the IFU "
            "pathloss file"
        )
    ap = content.apertures[0]
    wl_ps, pl_ps, inside = kern.point_vector(ap.point, ap.point_wcs, 0.0, 0.0)
    if not inside:
        raise ReferenceMismatchError(
            f"{reference.name}: the point-source grid of aperture {ap.name} does not hold the "
            "aperture centre (0, 0); give the IFU pathloss file"
        )
    wl_un, pl_un = kern.uniform_vector(ap.uniform, ap.uniform_wcs)
    wavelength = np.asarray(ds["wavelength"].values, np.float32)
    point, uniform = _on_slices(wavelength, (wl_ps, pl_ps), (wl_un, pl_un))
    kind = correction_kind(source_type or str(ds.attrs.get("SRCTYPE", "")))
    applied = point if kind == kern.POINT else uniform
    out = scale_by(
        ds,
        xr.Variable(("y", "x"), applied),
        operation="multiply" if inverse else "divide",
        overwrite=overwrite,
    )
    out = out.assign(
        pathloss_point=xr.Variable(("y", "x"), point.astype(np.float32), {"units": ""}),
        pathloss_uniform=xr.Variable(("y", "x"), uniform.astype(np.float32), {"units": ""}),
    )
    log.info("pathloss: NIRSpec IFU, %s correction (%s)", "POINT" if kind == kern.POINT
             else "UNIFORM", reference.name)  # fmt: skip
    return record_step(out, "pathloss", reference)
