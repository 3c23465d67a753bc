"""The whole-chain WFSS checks shared by the NIRCam and NIRISS end-to-end tests.

``run_wfss_chain`` runs ``spec2x.spec2`` on a synthetic WFSS exposure with its
references; ``compare_wfss_chain_with_jwst`` runs jwst's Spec2Pipeline offline on
the same files and compares every cut-out of the ``_cal`` and every spectrum of
the ``_x1d`` (a WFSSMultiSpecModel: one table per order, one row per source).
jwst runs with its default ``sip_approx``: the CRDS lookup of its imaging-WCS fit
(``get_wcs_reference_files``) answers with the same references, and the fit's
keywords of its ``_assign_wcs`` must be spec2x's assign_wcs ones (the ``_cal`` of
neither holds them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from e2e_helpers import max_rel

from spec2x.io.fits_keywords import image_wcs_keyword
from spec2x.pipeline import spec2
from spec2x.registry import calibrated_exp_types
from spec2x.slits import iter_slits

_CAL_VARS = ("sci", "err", "var_poisson", "var_rnoise", "var_flat")
_JWST_ARRAYS = {"sci": "data"}


def run_wfss_chain(
    rate: Path,
    refs: dict[str, Path],
    not_applicable: tuple[str, ...],
    cal_refs: Mapping[str, Callable[[Path], Path]],
) -> tuple[dict[str, str], dict[str, Any]]:
    """Write the calibration references (``cal_refs``: type -> writer of ``<type>.fits``)
    beside ``rate``, run spec2x on it with ``refs`` (and ``N/A`` for ``not_applicable``)
    from the exposure's folder (SCATFILE names the catalogue beside it), check it made a
    ``cal`` and an ``x1d`` of a calibrated type; return the references as given and the
    products (with ``assign_wcs``: that step's keywords)."""
    refs = {**refs, **{t: write(rate.parent / f"{t}.fits") for t, write in cal_refs.items()}}
    given = {**{k: str(v) for k, v in refs.items()}, **dict.fromkeys(not_applicable, "N/A")}
    steps: dict[str, Any] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(rate.parent)
        products = spec2(str(rate), given, on_step=lambda name, ds: steps.setdefault(name, ds))
    assert sorted(products) == ["cal", "x1d"]
    assert products["cal"].attrs["EXP_TYPE"] in calibrated_exp_types()
    return given, {**products, "assign_wcs": dict(steps["assign_wcs"].attrs)}


def compare_wfss_chain_with_jwst(
    rate: Path,
    refs: dict[str, str],
    ours: dict[str, Any],
    output_dir: Path,
    *,
    cal_rtol: float,
    x1d_checks: tuple[tuple[dict[str, str], float, float], ...],
) -> dict[str, Path]:
    """Run jwst offline on the same inputs and compare its ``_cal`` cut-outs (source, order,
    every variance to ``cal_rtol``, DQ equal, wavelengths to 1e-6 µm) and its ``_x1d``
    spectra (each ``(columns, rtol, atol)`` of ``x1d_checks``) with ``ours``; return jwst's
    product files by suffix."""
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2
    from stdatamodels.jwst import datamodels
    from wfss.wfss_helpers import compare_wfss_x1d

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    steps = {"assign_wcs": {"save_results": True}}
    wcs_refs = {t: refs.get(t) for t in ("distortion", "filteroffset", "specwcs", "regions")}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(rate.parent)
        mp.setattr("jwst.assign_wcs.util.get_wcs_reference_files", lambda _: wcs_refs)
        run = run_jwst_spec2(rate, refs, steps, output_dir=output_dir)
    assert {"cal", "x1d"} <= set(run.files)
    _compare_sip_keywords(
        ours["assign_wcs"], output_dir / rate.name.replace("_rate", "_assign_wcs")
    )
    mine = [s.isel(slit=0) for s in iter_slits(ours["cal"])]
    assert not any(image_wcs_keyword(k) for s in mine for k in s.attrs)
    with datamodels.open(run.files["cal"]) as model:
        assert "wcsinfo" not in model.meta.instance
        assert len(model.slits) == len(mine)
        for s, j in zip(mine, model.slits, strict=True):
            order = j.meta.wcsinfo.spectral_order
            assert (int(s["source_id"]), int(s["spectral_order"])) == (j.source_id, order)
            for var in _CAL_VARS:
                arr = getattr(j, _JWST_ARRAYS.get(var, var))
                np.testing.assert_array_equal(np.isnan(s[var].values), np.isnan(arr), var)
                assert max_rel(s[var].values, arr) < cal_rtol, var
            np.testing.assert_array_equal(s["dq"].values, j.dq)
            np.testing.assert_allclose(s["wavelength"].values, j.wavelength, atol=1e-6)
    x1d = ours["x1d"]
    with datamodels.open(run.files["x1d"]) as model:
        for columns, rtol, atol in x1d_checks:
            compared = compare_wfss_x1d(x1d, model.spec, columns, rtol=rtol, atol=atol)
            assert compared == x1d.sizes["slit"]
    return run.files


def _compare_sip_keywords(ours: Mapping[str, Any], assign_wcs: Path) -> None:
    """The FITS SIP keywords of jwst's assign_wcs output equal spec2x's assign_wcs ones."""
    from astropy.io import fits

    theirs = {k: v for k, v in fits.getheader(assign_wcs, "SCI").items() if image_wcs_keyword(k)}
    assert {"CRPIX1", "CRVAL1", "CTYPE1", "CD1_1"} <= set(theirs)
    assert sorted(k for k in ours if image_wcs_keyword(k)) == sorted(theirs)
    for key, value in theirs.items():
        assert ours[key] == (value if isinstance(value, str) else pytest.approx(value, rel=1e-10))
