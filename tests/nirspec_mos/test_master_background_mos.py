"""master_background_mos: jwst 3.0.0's MasterBackgroundMosStep with a user master background,
its slitlet selection and the expansion of the 1-D spectrum to the slitlets (the master
background from the background slitlets: test_master_background_slitlets.py, and against
jwst in test_mos_chain.py)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from mos_cal_helpers import _typed, cal_paths, cal_refs, cut, master_background_substeps
from mos_helpers import folder, jwst_extracted

from spec2x.errors import InputFileError
from spec2x.steps.master_background_mos import (
    expand_to_slits,
    is_background_slitlet,
    master_background_mos,
    read_background_spectrum,
)

#: A few MSA slitlets (background-only ones among them) and the S200A1 fixed slit.
N_MSA = 6
WAVE = np.linspace(0.6, 5.3, 200)


@lru_cache(maxsize=1)
def _slits():
    ds = _typed()
    msa = np.flatnonzero(ds["quadrant"].values < 5)
    fs = np.flatnonzero(ds["quadrant"].values == 5)
    bkg = np.flatnonzero(is_background_slitlet(ds["source_name"].values))
    keep = np.unique(np.r_[msa[: N_MSA - 2], bkg[:2], fs])
    return ds.isel(slit=keep), keep


@lru_cache(maxsize=1)
def _spectrum():
    """A master background at the level of the calibrated slitlets (MJy/sr), as a c1d file."""
    from stdatamodels.jwst import datamodels as dm

    from spec2x.steps.master_background_mos import _calibrate

    ds, _ = _slits()
    level = float(np.nanmedian(np.abs(_calibrate(ds, cal_refs(), inverse=False)["sci"].values)))
    bright = level * (1.0 + 0.3 * np.sin(3.0 * WAVE))
    model = dm.CombinedSpecModel()
    table = np.zeros(WAVE.size, dtype=model.get_dtype("spec_table"))
    table["WAVELENGTH"], table["SURF_BRIGHT"], table["FLUX"] = WAVE, bright, bright
    model.spec_table = table
    path = folder() / "master_bkg_c1d.fits"
    model.save(path)
    return path, bright


def test_background_slitlets_are_named_bkg_or_background():
    names = ["1234_BKG12", "1234_7", "background_3", "Bkg", "1234_VRT4", "S200A1"]
    assert is_background_slitlet(names).tolist() == [True, False, True, True, False, False]
    ds = _typed()
    assert int(is_background_slitlet(ds["source_name"].values).sum()) == 4  # the synthetic MSA


def test_expansion_interpolates_and_flags_outside_the_spectrum():
    import xarray as xr

    wl = xr.DataArray(np.array([[[0.5, 1.0, 2.5, np.nan, 6.0]]]), dims=("slit", "y", "x"))
    values, outside = expand_to_slits(xr.Dataset(coords={"wavelength": wl}), WAVE, 2.0 * WAVE)
    np.testing.assert_allclose(values.values[0, 0], [0.0, 2.0, 5.0, 0.0, 0.0])
    assert outside.values[0, 0].tolist() == [True, False, False, True, True]


def test_without_background_or_source_slitlets_the_step_fails_as_jwst():
    ds, _ = _slits()
    background = is_background_slitlet(ds["source_name"].values)
    for only in (~background, background | (ds["quadrant"].values == 5)):
        out = master_background_mos(ds.isel(slit=np.flatnonzero(only)), cal_refs())
        assert out.attrs["S_MSBSUB"] == "FAILED"
        np.testing.assert_array_equal(out["sci"].values, ds["sci"].values[only])
    done = ds.assign_attrs(S_BKDSUB="COMPLETE")
    assert master_background_mos(done, cal_refs()).attrs["S_MSBSUB"] == "SKIPPED"


class _Untouchable(dict):
    def __getitem__(self, key):
        raise AssertionError(f"reference {key} opened before the step failed")

    get = __getitem__


def test_without_background_slitlets_the_step_fails_before_any_work():
    ds, _ = _slits()
    sources = np.flatnonzero(~is_background_slitlet(ds["source_name"].values))
    out = master_background_mos(ds.isel(slit=sources), _Untouchable())
    assert out.attrs["S_MSBSUB"] == "FAILED"


def test_bad_user_background_is_one_clear_error(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        read_background_spectrum(tmp_path / "none.fits")
    from astropy.io import fits

    fits.PrimaryHDU().writeto(tmp_path / "empty.fits")
    with pytest.raises(InputFileError, match="WAVELENGTH and SURF_BRIGHT"):
        read_background_spectrum(tmp_path / "empty.fits")


@pytest.mark.parity
@pytest.mark.slow
def test_user_master_background_matches_jwst():
    pytest.importorskip("jwst")
    from jwst.master_background import MasterBackgroundMosStep
    from jwst.srctype.srctype import set_source_type
    from jwst_offline import jwst_offline_env
    from stdatamodels.jwst import datamodels as dm

    ds, keep = _slits()
    path, _ = _spectrum()
    ours = master_background_mos(ds, cal_refs(), user_background=read_background_spectrum(path))
    assert ours.attrs["S_MSBSUB"] == "COMPLETE"
    model = set_source_type(jwst_extracted().copy())
    mos = dm.MultiSlitModel()
    mos.update(model)
    picked = [model.slits[int(i)] for i in keep]
    for slit in picked:
        if slit.quadrant != 5:  # jwst runs the step on the MSA slitlets only
            mos.slits.append(slit)
    before = [np.array(s.data, copy=True) for s in mos.slits]
    substeps = master_background_substeps()
    with jwst_offline_env(folder()):
        theirs = MasterBackgroundMosStep.call(mos, user_background=str(path), steps=substeps)
    assert theirs.meta.cal_step.master_background == "COMPLETE"
    msa = [i for i, q in enumerate(ds["quadrant"].values) if q != 5]
    assert len(msa) == len(theirs.slits) == N_MSA
    worst = 0.0
    for k, i in enumerate(msa):
        name = str(ds["slit_name"].values[i])
        mine, jw = cut(ours, i, "sci"), theirs.slits[k].data
        np.testing.assert_array_equal(cut(ours, i, "dq"), theirs.slits[k].dq, err_msg=name)
        assert np.array_equal(np.isnan(mine), np.isnan(jw)), name
        ok = np.isfinite(jw)
        bkg_mine, bkg_jw = (cut(ds, i, "sci") - mine)[ok], (before[k] - jw)[ok]
        assert np.abs(bkg_jw).max() > 0.1 * np.abs(before[k][ok]).mean(), name  # not vacuous
        np.testing.assert_allclose(bkg_mine, bkg_jw, rtol=1e-5, atol=1e-6 * np.abs(bkg_jw).max())
        worst = max(worst, float(np.max(np.abs(bkg_mine - bkg_jw)) / np.abs(bkg_jw).max()))
    fs = [i for i, q in enumerate(ds["quadrant"].values) if q == 5]
    for i in fs:  # the fixed slit is left alone
        np.testing.assert_array_equal(ours["sci"].values[i], ds["sci"].values[i])
    print(f"master background: largest difference / peak background {worst:.2e}")


def test_chain_adapter_reads_user_background_and_inverse_adds_it_back():
    from spec2x.pipeline import run_step

    ds, _ = _slits()
    path, _ = _spectrum()
    refs = dict(cal_paths(), flat="N/A")
    out = run_step(ds, "master_background_mos", refs, user_background=str(path))
    direct = master_background_mos(ds, cal_refs(), user_background=read_background_spectrum(path))
    np.testing.assert_array_equal(out["sci"].values, direct["sci"].values)
    back = master_background_mos(
        out, cal_refs(), user_background=read_background_spectrum(path), inverse=True,
        force_subtract=True,
    )  # fmt: skip
    real = np.isfinite(back["sci"].values)
    np.testing.assert_allclose(back["sci"].values[real], ds["sci"].values[real], atol=1e-4)
