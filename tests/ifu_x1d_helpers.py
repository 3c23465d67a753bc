"""extract_1d on an IFU cube against jwst 3.0.0's Extract1dStep: the run and the comparison
shared by the MIRI MRS and NIRSpec IFU parity tests."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

#: The spectrum columns compared at 1e-7 (relative) / 1e-12 (absolute).
COLUMNS = ("flux", "flux_error", "surf_bright", "sb_error", "background", "npixels")


def jwst_ifu_x1d(
    path: str | os.PathLike[str],
    extract1d: str | os.PathLike[str],
    apcorr: str | os.PathLike[str] = "N/A",
    *,
    tmp_path: str | os.PathLike[str] | None = None,
    **params: Any,
) -> Any:
    """jwst's Extract1dStep on the cube file ``path`` with these references (every other
    type N/A) and step ``params``: its one spectrum (``spec[0]``)."""
    from jwst.extract_1d import Extract1dStep
    from jwst_offline import run_jwst_step

    refs = {"extract1d": str(extract1d), "apcorr": str(apcorr)}
    model = run_jwst_step(Extract1dStep, str(path), refs, rest="N/A", tmp_path=tmp_path, **params)
    return model.spec[0]


def assert_x1d_as_jwst(ours: Any, theirs: Any, label: str) -> None:
    """Our spectrum ``ours`` equals jwst's ``theirs``: wavelengths (1e-10), extraction centre,
    :data:`COLUMNS`, DQ; print the largest relative flux difference under ``label``."""
    table = theirs.spec_table
    np.testing.assert_allclose(ours["wavelength"], table["wavelength"], rtol=1e-10)
    assert (ours["extraction_x"], ours["extraction_y"]) == (
        theirs.extraction_x,
        theirs.extraction_y,
    )
    for name in COLUMNS:
        np.testing.assert_allclose(ours[name], table[name], rtol=1e-7, atol=1e-12, err_msg=name)
    np.testing.assert_array_equal(ours["dq"], table["dq"])
    worst = np.nanmax(np.abs(ours["flux"].values / table["flux"] - 1))
    print(f"{label}: largest relative flux difference from jwst {worst:.2e}")
    assert np.nanmedian(ours["flux"]) > 0


def assert_apcorr_as_jwst(ours: Any, table: Any, variances: tuple[str, ...], label: str) -> None:
    """Our aperture-corrected spectrum equals jwst's spec ``table`` in :data:`COLUMNS` and the
    named variance columns (1e-7 relative); print the largest relative flux difference."""
    for name in (*COLUMNS, *variances):
        np.testing.assert_allclose(ours[name], table[name], rtol=1e-7, atol=1e-12, err_msg=name)
    worst = np.nanmax(np.abs(ours["flux"].values / table["flux"] - 1))
    print(f"{label}: largest relative flux difference from jwst {worst:.2e}")
