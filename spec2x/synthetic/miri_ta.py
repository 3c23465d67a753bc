"""A synthetic MIRI target-acquisition verification image (``MIR_TACONFIRM``) and ``filteroffset``.

The TA image is an imager subarray taken at the pointing of an LRS exposure
(its attitude keywords), with its own dither offset (XOFFSET, YOFFSET), and a
Gaussian source placed a known distance from the pixel of the dithered
pointing through the imager WCS (``distortion`` and the filter's offset).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..modes import MODES
from .base import asdf_meta, rng

__all__ = ["TA_FILTER_OFFSETS", "TaImage", "make_ta_image", "write_miri_filteroffset"]

#: (column, row) pixel offsets of the synthetic ``filteroffset``, by MIRI imager filter.
TA_FILTER_OFFSETS = {"F560W": (0.08, 0.06), "F1000W": (0.21, -0.17), "F1500W": (0.46, -0.31),
                     "FND": (-0.12, 0.27)}  # fmt: skip
#: Keywords of the science exposure the TA image shares (the attitude and target).
_SHARED = ("TELESCOP", "INSTRUME", "V2_REF", "V3_REF", "ROLL_REF", "PA_V3", "RA_REF", "DEC_REF",
           "VA_SCALE", "V3I_YANG", "VPARITY", "TARG_RA", "TARG_DEC", "PROGRAM", "OBSERVTN",
           "VISIT", "DATE-OBS", "TIME-OBS", "EXPSTART")  # fmt: skip


@dataclass(frozen=True)
class TaImage:
    """What :func:`make_ta_image` wrote.

    Attributes
    ----------
    path : the ``MIR_TACONFIRM`` rate file.
    expected : 0-based subarray pixel (x, y) of the dithered pointing.
    source : 0-based subarray pixel (x, y) where the source was put.
    """

    path: Path
    expected: tuple[float, float]
    source: tuple[float, float]


def write_miri_filteroffset(
    path: str | os.PathLike[str], offsets: Mapping[str, tuple[float, float]] | None = None
) -> Path:
    """MIRI imager ``filteroffset`` (FilteroffsetModel, ASDF): a (column, row) offset per filter."""
    from .miri_lrs_refs import _write_asdf

    meta = asdf_meta("filteroffset", "MIRI", detector="MIRIMAGE", exp_type="MIR_IMAGE")
    meta["exposure"]["p_exptype"] = "MIR_IMAGE|MIR_TACQ|MIR_TACONFIRM|"
    meta["instrument"].update(band="N/A", channel="N/A")
    meta["model_type"] = "FilteroffsetModel"
    rows = [
        {"filter": f, "column_offset": col, "row_offset": row}
        for f, (col, row) in (TA_FILTER_OFFSETS if offsets is None else offsets).items()
    ]
    return _write_asdf(path, {"meta": meta, "filters": rows})


def make_ta_image(
    path: str | os.PathLike[str],
    science_attrs: Mapping[str, Any],
    distortion: str | os.PathLike[str],
    *,
    filter_name: str = "F1500W",
    subarray: tuple[int, int, int, int] | None = None,
    offset: tuple[float, float] = (0.35, -0.22),
    source_shift: tuple[float, float] = (0.63, -0.41),
    sigma: float = 1.4,
    peak: float = 400.0,
    seed: int = 0,
) -> TaImage:
    """Write a TA verification image of the source of an LRS exposure.

    Parameters
    ----------
    path : the FITS file to write.
    science_attrs : the LRS exposure's keywords (attitude, target, dates).
    distortion : the MIRI imager ``distortion`` file.
    filter_name : the TA filter (a row of :data:`TA_FILTER_OFFSETS`).
    subarray : (SUBSTRT1, SUBSTRT2, SUBSIZE1, SUBSIZE2) on the full frame; None: the
        science exposure's (jwst takes the TA image's origin for the science's).
    offset : the TA image's dither (XOFFSET, YOFFSET), arcsec in the ideal frame.
    source_shift : pixels (x, y) from the dithered pointing to the source.
    sigma, peak : the Gaussian source's width (pixels) and peak (DN/s).
    seed : of the noise.
    """
    from ..datamodel import make_exposure
    from ..instruments.miri.refs import imager_distortion
    from ..instruments.miri.ta_centroid import dither_offset, ta_transforms
    from ..io.fits import write_fits
    from ..io.references import open_reference

    keys = ("SUBSTRT1", "SUBSTRT2", "SUBSIZE1", "SUBSIZE2")
    xs, ys, nx, ny = (int(science_attrs[k]) for k in keys) if subarray is None else subarray
    name = science_attrs.get("SUBARRAY", "FULL") if subarray is None else "SUBARRAY"
    attrs: dict[str, Any] = {k: science_attrs[k] for k in _SHARED if k in science_attrs}
    attrs.update(
        EXP_TYPE=MODES["MIR_LRS-FIXEDSLIT"].ta_image, DETECTOR="MIRIMAGE", FILTER=filter_name, DATAMODL="ImageModel",
        SUBARRAY=name, SUBSTRT1=xs, SUBSTRT2=ys, SUBSIZE1=nx, SUBSIZE2=ny,
        XOFFSET=offset[0], YOFFSET=offset[1], FILENAME=Path(path).name,
    )  # fmt: skip
    model = imager_distortion(open_reference(distortion, "distortion"), attrs)
    to_sky, v2v3_to_world = ta_transforms(attrs, model, TA_FILTER_OFFSETS[filter_name])
    expected = dither_offset(attrs, to_sky.inverse, v2v3_to_world)[0]
    source = (expected[0] + source_shift[0], expected[1] + source_shift[1])
    y, x = np.mgrid[0:ny, 0:nx]
    r2 = (x - source[0]) ** 2 + (y - source[1]) ** 2
    gen = rng(seed)
    sci = 5.0 + peak * np.exp(-0.5 * r2 / sigma**2) + gen.normal(0.0, 0.5, (ny, nx))
    ds = make_exposure(sci, var_rnoise=np.full((ny, nx), 0.25), attrs=attrs, xstart=xs, ystart=ys)
    write_fits(ds.drop_vars("var_flat"), Path(path))
    return TaImage(Path(path), expected, source)
