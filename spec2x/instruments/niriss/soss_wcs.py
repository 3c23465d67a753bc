"""The NIRISS SOSS WCS: one detector -> (RA, Dec, wavelength) transform per order.

As jwst 3.0.0 builds it (``jwst.assign_wcs.niriss.niriss_soss``): the
``specwcs`` reference holds, for orders 1, 2 and 3, a transform of the
full-frame pixel (y, x) to the wavelength (µm); the sky position of every
pixel is the target's (``TARG_RA``, ``TARG_DEC``: the traces are not imaged
on the sky).  Per order::

    (x, y) -> [subarray -> full frame] -> (TARG_RA, TARG_DEC, wavelength(y, x) [x VELOSYS factor])

the three joined in jwst's ``NirissSOSSModel``, whose third input is the
order (the WCS is called as ``wcs(x, y, order)``).  A subarray's orders are
bounded by the data array.  The wavelengths do not depend on the
pupil-wheel position here (jwst's assign_wcs reads none); extract_1d's
traces and maps do (:mod:`spec2x.instruments.niriss.soss_traces`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr
from astropy import coordinates as coord
from astropy import units as u
from astropy.modeling import bind_bounding_box
from astropy.modeling.models import Const1D, Shift
from astropy.modeling.models import Mapping as AxisMapping
from gwcs import coordinate_frames as cf
from gwcs import wcs as gwcs_wcs

from ...errors import InputFileError
from ...wcs.store import get_wcs, set_wcs
from ..miri.lrs_wcs import velocity_correction
from .soss_refs import SOSS_ORDERS, SossSpecwcs, soss_content

__all__ = ["assign_from_refs", "assign_soss", "order_wcs", "soss_wavelengths", "soss_wcs"]


def _target(attrs: Mapping[str, Any]) -> tuple[float, float]:
    try:
        return float(attrs["TARG_RA"]), float(attrs["TARG_DEC"])
    except (KeyError, TypeError, ValueError):
        raise InputFileError(
            f"{attrs.get('FILENAME', 'the exposure')} lacks TARG_RA/TARG_DEC: the SOSS WCS "
            "puts every pixel at the target; set both keywords (degrees)"
        ) from None


def _subarray_to_full(attrs: Mapping[str, Any]) -> Any:
    """jwst's ``subarray_transform``: Shift(SUBSTRT1 - 1) & Shift(SUBSTRT2 - 1), None for FULL."""
    starts = [attrs.get("SUBSTRT1"), attrs.get("SUBSTRT2")]
    if all(s is None or int(s) == 1 for s in starts):
        return None
    x0, y0 = (1 if s is None else int(s) for s in starts)
    return Shift(x0 - 1) & Shift(y0 - 1)


def _frames() -> tuple[cf.Frame2D, cf.CompositeFrame]:
    detector = cf.Frame2D(name="detector", axes_order=(0, 1), unit=(u.pix, u.pix))
    spec = cf.SpectralFrame(
        name="spectral", axes_order=(2,), unit=(u.micron,), axes_names=("wavelength",)
    )
    sky = cf.CelestialFrame(
        reference_frame=coord.ICRS(),
        axes_names=("ra", "dec"),
        axes_order=(0, 1),
        unit=(u.deg, u.deg),
        name="sky",
    )
    return detector, cf.CompositeFrame([sky, spec], name="world")


def soss_wcs(
    attrs: Mapping[str, Any], specwcs_ref: Any, *, shape: tuple[int, int] | None = None
) -> gwcs_wcs.WCS:
    """The SOSS gwcs: ``wcs(x, y, order) -> (RA, Dec, wavelength)``.

    Parameters
    ----------
    attrs : exposure keywords (``TARG_RA``, ``TARG_DEC``, ``SUBSTRT1/2``,
        ``SUBSIZE1/2``, ``VELOSYS`` m/s if known).
    specwcs_ref : the SOSS ``specwcs`` (opened or a path).
    shape : (y, x) of the data array; the bounding box of a subarray's orders
        (default ``SUBSIZE2``, ``SUBSIZE1``).

    Raises
    ------
    InputFileError
        TARG_RA/TARG_DEC are missing.
    ReferenceMismatchError
        ``specwcs_ref`` is not a SOSS specwcs.
    """
    from stdatamodels.jwst.transforms.models import NirissSOSSModel

    spec = soss_content(specwcs_ref, "specwcs", SossSpecwcs)
    ra, dec = _target(attrs)
    velosys = attrs.get("VELOSYS")
    to_full = _subarray_to_full(attrs)
    if shape is None:
        shape = (int(attrs.get("SUBSIZE2") or 0), int(attrs.get("SUBSIZE1") or 0))
    models = []
    for order in SOSS_ORDERS:
        wavelength = spec.wavelength[order].copy()
        if velosys is not None:
            wavelength = wavelength | velocity_correction(float(velosys))
        model = (AxisMapping((0, 1, 1, 0)) | Const1D(ra) & Const1D(dec) & wavelength).rename(
            f"Order{order}"
        )
        if to_full is not None:
            model = to_full | model
            bind_bounding_box(model, ((-0.5, shape[1] - 0.5), (-0.5, shape[0] - 0.5)), order="F")
        models.append(model)
    soss = NirissSOSSModel(list(SOSS_ORDERS), models).rename("3-order SOSS Model")
    detector, world = _frames()
    return gwcs_wcs.WCS([(detector, soss), (world, None)])


def order_wcs(wcs: gwcs_wcs.WCS, order: int) -> gwcs_wcs.WCS:
    """The gwcs of one order, ``(x, y) -> (RA, Dec, wavelength)`` (jwst's ``niriss_soss_set_input``).

    Raises
    ------
    InputFileError
        ``order`` is not 1, 2 or 3.
    """
    if order not in SOSS_ORDERS:
        raise InputFileError(f"SOSS order {order} does not exist; the orders are 1, 2 and 3")
    detector, world = _frames()
    return gwcs_wcs.WCS([(detector, wcs.forward_transform.get_model(order)), (world, None)])


def assign_from_refs(ds: xr.Dataset, refs: Mapping[str, Any], **_: Any) -> xr.Dataset:
    """assign_wcs's builder for NIRISS SOSS: :func:`assign_soss` with ``refs["specwcs"]``."""
    return assign_soss(ds, refs["specwcs"])


def assign_soss(ds: xr.Dataset, specwcs_ref: Any) -> xr.Dataset:
    """Return ``ds`` carrying the SOSS WCS (input unchanged).

    No ``wavelength`` coordinate is added: each pixel has one wavelength per
    order; :func:`soss_wavelengths` evaluates them.
    """
    shape = (ds.sizes["y"], ds.sizes["x"])
    return set_wcs(ds, soss_wcs(ds.attrs, specwcs_ref, shape=shape))


def soss_wavelengths(ds: xr.Dataset) -> xr.DataArray:
    """Wavelength (µm) of every pixel in each order, ``(order, y, x)``, from the stored WCS.

    NaN where the order has no wavelength.
    """
    wcs = get_wcs(ds)
    y, x = np.indices((ds.sizes["y"], ds.sizes["x"]), dtype=np.float64)
    planes = [order_wcs(wcs, order)(x, y)[2] for order in SOSS_ORDERS]
    return xr.DataArray(
        np.stack(planes),
        dims=("order", "y", "x"),
        coords={"order": list(SOSS_ORDERS)},
        attrs={"units": "um", "long_name": "wavelength"},
        name="wavelength",
    )
