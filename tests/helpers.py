"""Small helpers shared by test folders (``tests/`` is on ``sys.path``)."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import dask


class _CountingScheduler:
    """A Dask scheduler that fails when asked to compute more than ``max_computes`` times."""

    def __init__(self, max_computes: int = 0) -> None:
        self.total_computes = 0
        self.max_computes = max_computes

    def __call__(self, dsk: Any, keys: Any, **kwargs: Any) -> Any:
        self.total_computes += 1
        if self.total_computes > self.max_computes:
            raise RuntimeError(
                f"Too many computes. Total: {self.total_computes} > max: {self.max_computes}."
            )
        return dask.get(dsk, keys, **kwargs)


def raise_if_dask_computes(max_computes: int = 0) -> AbstractContextManager[Any]:
    """Context manager in which a Dask compute raises (as in xarray's own tests)."""
    return dask.config.set(scheduler=_CountingScheduler(max_computes))


def _find_realdata() -> Path:
    """``shared/realdata``: $SPEC2X_REALDATA, beside the checkout (as CI lays it), or /work/shared."""
    candidates = [
        os.environ.get("SPEC2X_REALDATA", ""),
        Path(__file__).resolve().parents[2] / "shared" / "realdata",
        "/work/shared/realdata",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return Path(candidates[1])


#: The real CRDS reference files shipped beside the repository (read-only).
REALDATA = _find_realdata()


def nirspec_multislit(
    *,
    exp_type: str = "NRS_FIXEDSLIT",
    filter: str = "CLEAR",
    grating: str = "PRISM",
    dated: bool = False,
    **meta: Any,
) -> Any:
    """An empty jwst ``MultiSlitModel`` of a NIRSpec NRS1 slit exposure.

    ``dated`` sets the observation date and time the photom time correction reads;
    ``meta`` sets further ``model.meta`` attributes by dotted path
    (``{"exposure.nints": 1}``).
    """
    from stdatamodels.jwst import datamodels as dm

    model = dm.MultiSlitModel()
    model.meta.instrument.name = "NIRSPEC"
    model.meta.instrument.detector = "NRS1"
    model.meta.instrument.filter = filter
    model.meta.instrument.grating = grating
    model.meta.exposure.type = exp_type
    if dated:
        model.meta.observation.date = "2023-07-22"
        model.meta.observation.time = "06:24:45.569"
    for path, value in meta.items():
        *parents, leaf = path.split(".")
        node = model.meta
        for name in parents:
            node = getattr(node, name)
        setattr(node, leaf, value)
    return model


#: Exposure keyword -> ``meta.wcsinfo`` attribute of a jwst datamodel (pointing, velocity).
JWST_WCSINFO = {
    "V2_REF": "v2_ref",
    "V3_REF": "v3_ref",
    "ROLL_REF": "roll_ref",
    "RA_REF": "ra_ref",
    "DEC_REF": "dec_ref",
    "V3I_YANG": "v3yangle",
    "VPARITY": "vparity",
    "VELOSYS": "velosys",
}


def set_jwst_pointing(model: Any, attrs: dict[str, Any]) -> None:
    """Copy the pointing keywords of ``attrs`` (and VA_SCALE) into a jwst datamodel's meta."""
    for key, name in JWST_WCSINFO.items():
        if key in attrs:
            setattr(model.meta.wcsinfo, name, attrs[key])
    if "VA_SCALE" in attrs:
        model.meta.velocity_aberration.scale_factor = attrs["VA_SCALE"]


def assert_cube_grid_as_jwst(ours: Any, theirs: Any, *, crval_atol: float = 1e-12) -> None:
    """Our cube Dataset ``ours`` has the grid of jwst's IFUCubeModel ``theirs``: shape,
    CRPIX/CDELT/CRVAL3 (1e-12 relative), CRVAL1/2 (``crval_atol`` deg) and S_REGION."""
    import pytest

    assert ours["sci"].shape == theirs.data.shape
    info = theirs.meta.wcsinfo
    for key in ("CRPIX1", "CRPIX2", "CRPIX3", "CDELT1", "CDELT2", "CDELT3", "CRVAL3"):
        assert ours.attrs[key] == pytest.approx(getattr(info, key.lower()), rel=1e-12), key
    assert ours.attrs["CRVAL1"] == pytest.approx(info.crval1, abs=crval_atol)
    assert ours.attrs["CRVAL2"] == pytest.approx(info.crval2, abs=crval_atol)
    assert ours.attrs["S_REGION"] == info.s_region


def assert_in_place_same(from_chain: Any, ds: Any, ctx: Any, *, in_place: bool = True) -> Any:
    """A step's chain adapter told it owns its input (``ctx.owns_input``) gives the numbers
    of the pure call, and writes them into its input's arrays (``in_place``; otherwise
    new arrays); the pure call leaves its input unchanged.  Returns the pure call's output."""
    from dataclasses import replace

    import numpy as np

    from spec2x.ownership import PIXEL_NAMES

    names = [n for n in PIXEL_NAMES if n in ds.data_vars]
    kept = {n: ds[n].values.copy() for n in names}
    pure = from_chain(ds, replace(ctx, owns_input=False))
    for name in names:
        np.testing.assert_array_equal(ds[name].values, kept[name], err_msg=name)
    given = ds.copy(deep=True)
    arrays = {n: given[n].values for n in names}
    owned = from_chain(given, replace(ctx, owns_input=True))
    for name in PIXEL_NAMES:
        if name in pure.data_vars:
            np.testing.assert_array_equal(owned[name].values, pure[name].values, err_msg=name)
    shared = [np.shares_memory(owned[n].values, arrays[n]) for n in names if n in owned]
    assert all(shared) if in_place else not any(shared), shared
    return pure
