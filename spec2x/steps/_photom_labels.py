"""What photom writes besides the data: units, PHOTMJSR/PHOTUJA2, pixel areas, the area map."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr
from astropy import units as u

from ..errors import MissingReferenceError
from ..io.references import Reference

__all__ = ["MJSR_TO_UJA2", "area_image", "label"]

#: MJy/sr to µJy/arcsec^2 (PHOTUJA2 = PHOTMJSR * this).
MJSR_TO_UJA2 = float((u.MJy / u.sr).to(u.uJy / u.arcsec**2))


def label(
    ds: xr.Dataset,
    scalars: Sequence[Any],
    units: Sequence[str],
    pixar_sr: Sequence[float | None],
    pixar_a2: Sequence[float | None],
    inverse: bool,
) -> xr.Dataset:
    """Units on the variables; PHOTMJSR/PHOTUJA2/PIXAR_* as attrs or per-slit coords."""
    unit = (
        "DN/s"
        if inverse
        else (units[0] if len(set(units)) == 1 else "MJy/sr or MJy (see bunit_data)")
    )
    out = ds.copy(deep=False)
    for name in ("sci", "err"):
        if name in out:
            out[name].attrs = {**out[name].attrs, "units": unit}
    for name in ("var_poisson", "var_rnoise", "var_flat"):
        if name in out:
            out[name].attrs = {**out[name].attrs, "units": f"({unit})^2"}
    conv = [float(s) for s in scalars]
    # PHOTUJA2 in float32 arithmetic, as jwst's (its conversion is a float32 scalar)
    uja2 = [float(np.float32(c) * np.float32(MJSR_TO_UJA2)) for c in conv]

    def num(v: float | None) -> float:
        return np.nan if v is None else float(v)

    attrs = dict(out.attrs)
    if "slit" in out.dims:
        out = out.assign_coords(
            photmjsr=("slit", np.array(conv)),
            photuja2=("slit", np.array(uja2)),
            pixar_sr=("slit", np.array([num(v) for v in pixar_sr])),
            pixar_a2=("slit", np.array([num(v) for v in pixar_a2])),
            bunit_data=("slit", np.array(["DN/s" if inverse else v for v in units])),
        )
    if "slit" not in out.dims or out.sizes["slit"] == 1:
        attrs.update(PHOTMJSR=conv[0], PHOTUJA2=uja2[0])
        for key, value in (("PIXAR_SR", pixar_sr[0]), ("PIXAR_A2", pixar_a2[0])):
            if value is not None:
                attrs[key] = float(value)
    out.attrs = attrs
    return out


def area_image(ds: xr.Dataset, area: Reference) -> xr.DataArray:
    """The pixel-area map on the exposure's pixels (``area`` variable, relative units)."""
    c = area.content
    iy = np.asarray(ds["y"].values) - (c.ystart - 1)
    ix = np.asarray(ds["x"].values) - (c.xstart - 1)
    ny, nx = c.image.shape
    if iy.min() < 0 or ix.min() < 0 or iy.max() >= ny or ix.max() >= nx:
        raise MissingReferenceError(
            f"area reference {area.name} ({ny}x{nx} from x={c.xstart}, y={c.ystart}) does not "
            f"cover the exposure's pixels; give the area file for this detector"
        )
    data = c.image[np.ix_(iy, ix)]
    return xr.DataArray(
        data, dims=("y", "x"), coords={"y": ds["y"], "x": ds["x"]}, attrs={"units": ""}
    )
