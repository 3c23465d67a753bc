"""NIRSpec fixed-slit pathloss (called by :func:`spec2x.steps.pathloss.pathloss`).

Each slit is divided by the pathloss at each pixel's wavelength: for a point
source (``srctype == "POINT"``) the reference's point-source cube interpolated
at the source position (``source_xpos``, ``source_ypos``, fractions of the
slit width and length) on the wavelengths corrected by wavecorr; otherwise the
uniform-source vector.  Both arrays are kept, as jwst keeps them for master
background: ``pathloss_point`` (on corrected wavelengths) and
``pathloss_uniform`` (on ``wavelength_uncorrected`` when wavecorr ran).

A slit whose aperture is not in the reference, or whose source lies outside
the position grid of the reference (outside the slit), is left uncorrected,
as in jwst: its pathloss arrays are NaN, its per-slit
``pathloss_correction_type`` is ``"NONE"`` and a :class:`~spec2x.errors.Spec2xWarning`
names it.  Pixels whose wavelength lies outside the reference curve get a
NaN pathloss, hence NaN data and ``DO_NOT_USE``.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import xarray as xr

from ..._kernels import pathloss as kern
from ...errors import ReferenceMismatchError, Spec2xWarning
from ...io.references import Reference
from ...steps._common import record_step, require
from ...steps._scale import scale_by
from .refs_cal import Pathloss

__all__ = [
    "apply_pathloss",
    "correction_kind",
    "slit_pathloss",
    "source_position",
    "warn_outside",
]

log = logging.getLogger(__name__)

_REQUIRED = ("sci", "err", "dq", "var_poisson", "var_rnoise")  # var_flat: absent before flat
_TYPE_NAMES = {0: "NONE", kern.POINT: "POINT", kern.UNIFORM: "UNIFORM"}


def slit_pathloss(
    ds: xr.Dataset,
    reference: Reference,
    *,
    inverse: bool = False,
    source_type: str | None = None,
    overwrite: bool = False,
) -> xr.Dataset:
    """Divide NIRSpec fixed-slit data by the slit pathloss.

    Parameters
    ----------
    ds : slits product ``(slit, [integration,] y, x)`` with coords ``wavelength``
        (µm) and per-slit ``slit_name``, ``srctype``, ``source_xpos``,
        ``source_ypos``; optional ``wavelength_uncorrected`` (from wavecorr).
    reference : opened NIRSpec ``pathloss`` reference.
    inverse : multiply instead of divide.
    source_type : ``"POINT"`` or ``"EXTENDED"`` to force the correction type
        for every slit (jwst ``source_type``); None uses ``srctype``.
    overwrite : write the results into the pixel arrays of ``ds`` (NumPy-backed
        data, every slit corrected) instead of new ones, for a caller that owns
        them (the chain, :mod:`spec2x.ownership`): ``ds`` may be changed.

    Returns
    -------
    Dataset with ``sci``, ``err`` divided by the pathloss and the variances by
    its square; new variables ``pathloss_point``, ``pathloss_uniform``
    (slit, y, x) and per-slit coord ``pathloss_correction_type``; ``S_PTHLOS``.

    Notes
    -----
    Point source at :math:`(x_s, y_s)`: :math:`P(\\lambda) =` bilinear
    interpolation of the cube at :math:`(x_s, y_s)`, then linear in
    :math:`\\lambda`; corrected :math:`S/P`, :math:`\\sigma^2/P^2`.
    """
    require(ds, *_REQUIRED, coords=("wavelength", "slit_name"), step="pathloss")
    if not isinstance(reference.content, Pathloss):
        raise ReferenceMismatchError(f"{reference.name} is not a NIRSpec pathloss reference")
    vectors, index, kind = _slit_vectors(ds, reference, source_type)
    wl_un = ds.coords.get("wavelength_uncorrected", ds["wavelength"]).variable
    return apply_pathloss(
        ds, reference, vectors, index, kind, wl_un, inverse=inverse, overwrite=overwrite
    )


def apply_pathloss(
    ds: xr.Dataset,
    reference: Reference,
    vectors: list[kern.Vectors],
    index: np.ndarray,
    kind: np.ndarray,
    uniform_wavelength: xr.Variable,
    *,
    inverse: bool,
    overwrite: bool = False,
) -> xr.Dataset:
    """Divide (``inverse``: multiply) each slit by its pathloss curves at its wavelengths.

    ``vectors[index[i]]`` are slit ``i``'s curves, ``kind[i]`` its correction
    (``kern.POINT``, ``kern.UNIFORM``, 0: none); the uniform curve of
    point-source slits is read at ``uniform_wavelength`` (slit, y, x).
    Adds ``pathloss_point``, ``pathloss_uniform`` and per-slit
    ``pathloss_correction_type``; records ``S_PTHLOS``.  With ``overwrite``
    the results go into the pixel arrays of ``ds`` when every slit is corrected
    (otherwise the uncorrected slits need their old values: new arrays).
    """
    applied, point, uniform = xr.apply_ufunc(
        kern.slit_pathloss,
        ds["wavelength"].variable,
        uniform_wavelength,
        xr.Variable("slit", index),
        xr.Variable("slit", kind),
        kwargs={"vectors": vectors},
        input_core_dims=[["y", "x"], ["y", "x"], [], []],
        output_core_dims=[["y", "x"]] * 3,
        dask="parallelized",
        output_dtypes=[np.float32] * 3,
    )
    every = bool((kind > 0).all())
    out = scale_by(
        ds,
        applied,
        operation="multiply" if inverse else "divide",
        where=None if every else xr.Variable("slit", kind > 0),
        overwrite=overwrite and every,
    )
    new: dict[str, Any] = {}
    for key, var in (("pathloss_point", point), ("pathloss_uniform", uniform)):
        var.attrs = {"units": ""}
        new[key] = var
    out = out.assign(new).assign_coords(
        pathloss_correction_type=("slit", np.array([_TYPE_NAMES[int(m)] for m in kind]))
    )
    status = "COMPLETE" if (kind > 0).any() else "SKIPPED"
    log.info(
        "pathloss: %d point, %d uniform, %d uncorrected slits (%s)",
        int((kind == kern.POINT).sum()),
        int((kind == kern.UNIFORM).sum()),
        int((kind == 0).sum()),
        reference.name,
    )
    return record_step(out, "pathloss", reference, status=status)


def source_position(ds: xr.Dataset, name: str, i: int) -> float:
    """Slit ``i``'s ``source_xpos``/``source_ypos`` (0 when absent or NaN)."""
    if name not in ds.coords:
        return 0.0
    value = float(ds[name].values[i])
    return 0.0 if not np.isfinite(value) else value


def _slit_vectors(
    ds: xr.Dataset, reference: Reference, source_type: str | None
) -> tuple[list[kern.Vectors], np.ndarray, np.ndarray]:
    """Each slit's pathloss vectors: (vectors, index of each slit's, correction kind).

    The kind is ``kern.POINT``, ``kern.UNIFORM`` or 0 (not corrected: no
    aperture in the reference, or the source outside the slit; warned).
    """
    content = reference.content
    names = np.asarray(ds["slit_name"].values).astype(str)
    srctype = (
        np.asarray(ds["srctype"].values).astype(str)
        if "srctype" in ds.coords
        else np.full(len(names), "")
    )
    vectors: list[kern.Vectors] = []
    index = np.zeros(len(names), np.intp)
    kind = np.zeros(len(names), np.intp)
    for i, name in enumerate(names):
        ap = content.aperture(name)
        if ap is None:
            warnings.warn(
                f"pathloss: no aperture {name} in {reference.name}; slit {name} not corrected",
                Spec2xWarning,
                stacklevel=4,
            )
            continue
        xc, yc = source_position(ds, "source_xpos", i), source_position(ds, "source_ypos", i)
        wl_ps, pl_ps, inside = kern.point_vector(ap.point, ap.point_wcs, xc, yc)
        if not inside:
            warn_outside(name, xc, yc)
            continue
        wl_un, pl_un = kern.uniform_vector(ap.uniform, ap.uniform_wcs)
        index[i] = len(vectors)
        vectors.append((wl_ps, pl_ps, wl_un, pl_un))
        kind[i] = correction_kind(source_type or srctype[i])
    return vectors, index, kind


def correction_kind(source_type: str) -> int:
    """``kern.POINT`` for a point source, else ``kern.UNIFORM``."""
    return kern.POINT if source_type.strip().upper() == "POINT" else kern.UNIFORM


def warn_outside(name: str, xc: float, yc: float) -> None:
    """Warn that slit ``name``'s source lies outside it, so it is not corrected."""
    warnings.warn(
        f"pathloss: slit {name} source position ({xc:.3f}, {yc:.3f}) lies outside the "
        "slit; slit not corrected (pathloss_correction_type NONE), as jwst does",
        Spec2xWarning,
        stacklevel=5,
    )
