"""Hypothesis strategies for spec2x Datasets shared by the step tests.

``exposures()`` draws small exposures ``(y, x)`` or ``(integration, y, x)``
and ``slits()`` small slit products ``(slit, y, x)``; both carry a
``wavelength`` coordinate (µm, some NaN) and MIRI-like attrs unless told.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from hypothesis import strategies as st

from spec2x.datamodel import make_exposure
from spec2x.dq import DQ

__all__ = ["exposures", "slit_shapes", "slits"]

_DQ_BITS = [
    int(DQ.DO_NOT_USE),
    int(DQ.SATURATED),
    int(DQ.JUMP_DET),
    int(DQ.NON_SCIENCE),
    int(DQ.HOT),
]

_ATTRS = {
    "INSTRUME": "MIRI",
    "DETECTOR": "MIRIMAGE",
    "EXP_TYPE": "MIR_LRS-FIXEDSLIT",
    "FILTER": "P750L",
    "SUBARRAY": "FULL",
}


@st.composite
def _arrays(draw: Any, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    seed = draw(st.integers(0, 2**31 - 1))
    gen = np.random.default_rng(seed)
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    sci = (scale * gen.normal(5.0, 2.0, shape)).astype(np.float32)
    bits = np.array(_DQ_BITS, np.uint32)
    dq = np.where(gen.random(shape) < 0.15, bits[gen.integers(0, len(bits), shape)], 0).astype(
        np.uint32
    )
    vp = (scale**2 * gen.uniform(0.0, 2.0, shape)).astype(np.float32)
    vr = (scale**2 * gen.uniform(0.0, 1.0, shape)).astype(np.float32)
    if draw(st.booleans()):
        sci[gen.random(shape) < 0.05] = np.nan
    return {"sci": sci, "dq": dq, "var_poisson": vp, "var_rnoise": vr}


def _wavelength(shape: tuple[int, int], gen: np.random.Generator) -> np.ndarray:
    ny, nx = shape
    wl = np.linspace(4.0, 14.0, ny)[:, None] + np.linspace(0.0, 0.2, nx)[None, :]
    wl[gen.random(shape) < 0.05] = np.nan
    return wl


@st.composite
def exposures(
    draw: Any,
    *,
    integrations: bool | None = None,
    attrs: dict[str, Any] | None = None,
    max_side: int = 6,
) -> xr.Dataset:
    """A small exposure with a ``wavelength`` coord; rateints when ``integrations`` (random if None)."""
    ny, nx = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    if integrations is None:
        integrations = draw(st.booleans())
    shape: tuple[int, ...] = (draw(st.integers(1, 3)), ny, nx) if integrations else (ny, nx)
    arrays = draw(_arrays(shape))
    xstart, ystart = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    ds = make_exposure(
        arrays.pop("sci"), **arrays, attrs={**_ATTRS, **(attrs or {})}, xstart=xstart, ystart=ystart
    )
    gen = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    return ds.assign_coords(wavelength=(("y", "x"), _wavelength((ny, nx), gen)))


@st.composite
def slits(draw: Any, *, attrs: dict[str, Any] | None = None, max_side: int = 6) -> xr.Dataset:
    """A small slits product ``(slit, y, x)`` with per-slit coords and a ``wavelength`` coord."""
    nslit = draw(st.integers(1, 3))
    ny, nx = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    arrays = draw(_arrays((nslit, ny, nx)))
    base = {
        "INSTRUME": "NIRSPEC",
        "DETECTOR": "NRS1",
        "EXP_TYPE": "NRS_FIXEDSLIT",
        "FILTER": "CLEAR",
        "GRATING": "PRISM",
        "SUBARRAY": "FULL",
    }
    ds = make_exposure(arrays.pop("sci"), **arrays, attrs={**base, **(attrs or {})})
    ds = ds.rename({"integration": "slit"}).drop_vars("slit")
    gen = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    names = ["S200A1", "S200A2", "S400A1"][:nslit]
    wl = np.stack([_wavelength((ny, nx), gen) * 0.35 for _ in range(nslit)])
    return ds.assign_coords(
        slit_name=("slit", np.array(names)),
        source_id=("slit", np.arange(1, nslit + 1)),
        xstart=("slit", gen.integers(1, 100, nslit)),
        ystart=("slit", gen.integers(1, 100, nslit)),
        xsize=("slit", np.full(nslit, nx)),
        ysize=("slit", np.full(nslit, ny)),
        srctype=("slit", np.array([draw(st.sampled_from(["POINT", "EXTENDED"])) for _ in names])),
        wavelength=(("slit", "y", "x"), wl),
    )


@st.composite
def slit_shapes(
    draw: Any, *, max_slits: int = 6, max_side: int = 40
) -> tuple[list[int], list[int]]:
    """Heights and lengths of 1..max_slits cut-outs of random, often very different, sizes."""
    n = draw(st.integers(1, max_slits))
    side = st.integers(1, max_side)
    return draw(st.lists(side, min_size=n, max_size=n)), draw(
        st.lists(side, min_size=n, max_size=n)
    )
