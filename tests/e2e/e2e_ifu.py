"""Helpers of the IFU scene tests (NIRSpec IFU, MIRI MRS): the scene in a cube, the whole chain
against jwst's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def cube_ratio(cube: Any, surface_brightness: Callable[..., np.ndarray]) -> np.ndarray:
    """Cube / scene at every spaxel that data reached (DQ 0); ``surface_brightness(ra, dec,
    wave)`` gives the scene (MJy/sr)."""
    sci = np.asarray(cube["sci"].values, np.float64)
    good = (np.asarray(cube["dq"].values) == 0) & np.isfinite(sci)
    wave = np.asarray(cube["wavelength"].values, np.float64)[:, None, None]
    ra, dec = (np.asarray(cube[c].values, np.float64)[None] for c in ("ra", "dec"))
    truth = np.broadcast_to(surface_brightness(ra, dec, wave), sci.shape)
    return sci[good] / truth[good]


def cube_rel(ours: Any, theirs: Any) -> dict[str, np.ndarray]:
    """Relative differences of SCI and ERR of two cubes of one grid, on the spaxels both fill
    (DQ 0 in both, finite, jwst's nonzero); the DQ must agree on all but 1e-4 of them."""
    assert ours["sci"].shape == theirs.data.shape
    dq = np.asarray(ours["dq"].values)
    assert (dq != theirs.dq).mean() < 1e-4
    both = (dq == 0) & (theirs.dq == 0)
    out = {}
    for var, arr in (("sci", theirs.data), ("err", theirs.err)):
        a = np.asarray(ours[var].values, np.float64)[both]
        b = np.asarray(arr, np.float64)[both]
        use = np.isfinite(a) & np.isfinite(b) & (b != 0)
        out[var] = np.abs(a[use] - b[use]) / np.abs(b[use])
    return out


def cube_max_rel(ours: Any, theirs: Any) -> dict[str, float]:
    """Largest relative difference of SCI and ERR of two cubes of one grid (:func:`cube_rel`)."""
    return {var: float(np.max(rel)) for var, rel in cube_rel(ours, theirs).items()}


def assert_spec2_as_jwst(
    ours: dict[str, Any], files: dict[str, Path], *, cal: float, s3d: float, x1d: float
) -> dict[str, float]:
    """spec2x's ``cal``, ``s3d`` and spectra (``x1d``, or ``0_x1d``, ``1_x1d``... of the band
    cubes) against jwst's files of the same suffixes: DQ equal, NaN where jwst's are, the
    largest relative differences under ``cal``, ``s3d`` and ``x1d``; returns them by product
    and column."""
    from e2e_helpers import max_rel
    from stdatamodels.jwst import datamodels

    seen: dict[str, float] = {}
    with datamodels.open(files["cal"]) as theirs:
        mine = ours["cal"]
        np.testing.assert_array_equal(mine["dq"].values, theirs.dq)
        for var in ("sci", "err", "var_poisson", "var_rnoise", "var_flat"):
            arr = getattr(theirs, "data" if var == "sci" else var)
            np.testing.assert_array_equal(np.isnan(mine[var].values), np.isnan(arr), var)
            seen[f"cal {var}"] = max_rel(mine[var].values, arr)
    with datamodels.open(files["s3d"]) as theirs:
        seen.update({f"s3d {k}": v for k, v in cube_max_rel(ours["s3d"], theirs).items()})
    for suffix in (s for s in files if s.endswith("x1d")):
        with datamodels.open(files[suffix]) as theirs:
            table = theirs.spec[0].spec_table
            spectrum = ours[suffix]
            np.testing.assert_allclose(spectrum["wavelength"], table["wavelength"], rtol=1e-10)
            for name in ("flux", "flux_error", "surf_bright", "sb_error", "background"):
                mine, col = np.asarray(spectrum[name].values), np.asarray(table[name])
                if np.any(np.isfinite(col) & (col != 0)):
                    seen[f"x1d {suffix} {name}"] = max_rel(mine, col)
                else:  # an extended source's background: zero in both
                    np.testing.assert_array_equal(np.nan_to_num(mine), np.nan_to_num(col), name)
    limits = {"cal": cal, "s3d": s3d, "x1d": x1d}
    over = {k: v for k, v in seen.items() if v >= limits[k.split()[0]]}
    assert not over, over
    return seen
