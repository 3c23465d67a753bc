"""The chain tells the truth: refused at once when it cannot finish, and says how products were made.

On the synthetic MIRI LRS slitless time series (2 integrations) with the
real steps and references.
"""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pytest

import spec2x
from spec2x.cli import main
from spec2x.datamodel import make_exposure
from spec2x.errors import MissingReferenceError, Spec2xWarning, UnsupportedModeError
from spec2x.io.fits import open_exposure, open_product
from spec2x.pipeline import chain_for, spec2
from spec2x.registry import calibrated_exp_types
from spec2x.synthetic.miri_lrs import make_lrs_slitless_tso

CALIBRATED = (
    "MIR_LRS-FIXEDSLIT", "MIR_LRS-SLITLESS", "MIR_MRS", "NRS_FIXEDSLIT", "NRS_BRIGHTOBJ", "NRS_MSASPEC",
    "NRS_IFU", "NIS_SOSS", "NIS_WFSS", "NRC_WFSS", "NRC_TSGRISM",
)  # fmt: skip


@pytest.fixture(scope="module")
def tso(tmp_path_factory):
    obs = make_lrs_slitless_tso(tmp_path_factory.mktemp("lrs_tso_truth"), seed=5, nints=2)
    return obs.exposures[0], {k: str(v) for k, v in obs.references.items()}


def test_calibrated_modes_come_from_the_modes_table():
    assert calibrated_exp_types() == CALIBRATED


@pytest.mark.parametrize("exp_type", ["MIR_WFSS"])
def test_a_mode_spec2x_does_not_calibrate_is_refused_at_once(exp_type, tmp_path, capsys):
    ds = make_exposure(
        np.ones((4, 6), np.float32), attrs={"EXP_TYPE": exp_type, "FILENAME": "jw_x_rate.fits"}
    )
    with pytest.raises(UnsupportedModeError) as info:
        spec2(ds, {})
    message = str(info.value)
    assert message.startswith(f"jw_x_rate.fits is {exp_type}, which this spec2x does not")
    assert message.endswith(f"it calibrates {', '.join(CALIBRATED)} (see docs/status.md)")
    assert "--skip" not in message
    from spec2x.io.fits import write_fits

    rate = write_fits(ds, tmp_path / "jw_x_rate.fits")
    assert main(["run", str(rate), "--output-dir", str(tmp_path / "o")]) == 2
    out, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1
    assert "does not calibrate yet" in err
    assert "assign_wcs" not in out  # no step ran


def test_an_unknown_type_lists_only_the_calibrated_modes():
    with pytest.raises(UnsupportedModeError) as info:
        chain_for({"EXP_TYPE": "MIR_IMAGE", "FILENAME": "x.fits"})
    assert str(info.value).endswith(f"spec2x calibrates {', '.join(CALIBRATED)}")


def test_missing_references_are_all_reported_before_any_step(tso):
    rate, refs = tso
    partial = {k: v for k, v in refs.items() if k not in ("flat", "photom", "extract1d")}
    partial["specwcs"] = "N/A"
    ran = []
    with pytest.raises(MissingReferenceError) as info:
        spec2(rate, partial, on_step=lambda step, ds: ran.append(step))
    message = str(info.value)
    assert ran == []
    for part in ("specwcs (assign_wcs, given as N/A)", "flat (flat_field)", "photom (photom)",
                 "extract1d (extract_1d)", "4 reference(s)", "nothing was run"):  # fmt: skip
        assert part in message


@pytest.mark.parametrize("how", ["skip", "not_applicable"])
def test_a_chain_without_a_flat_finishes(tso, how):
    rate, refs = tso
    if how == "skip":
        products = spec2(rate, refs, skip=["flat_field"])
    else:
        products = spec2(rate, {**refs, "flat": "N/A"})
    assert sorted(products) == ["calints", "x1dints"]
    for product in products.values():
        assert product.attrs["S_FLAT"] == "SKIPPED"
        assert product.attrs["S_PHOTOM"] == "COMPLETE"
    x1d = products["x1dints"]
    assert np.isfinite(x1d["flux"].values).mean() > 0.5
    assert np.nanmax(np.abs(x1d["flux_var_flat"].values)) == 0.0  # jwst: var_flat defaults to 0
    assert "var_flat" not in products["calints"]  # the cal product is what the chain made


def test_products_say_spec2x_made_them(tso, tmp_path):
    rate, refs = tso
    before = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    products = spec2(rate, refs)
    for kind, product in products.items():
        attrs = product.attrs
        assert attrs["CAL_VER"] == spec2x.__version__, kind
        assert attrs["SPEC2XV"] == spec2x.__version__
        assert attrs["CRDS_CTX"] == "N/A"  # a mapping of files: no CRDS context
        assert dt.datetime.fromisoformat(attrs["DATE"]) >= before
        assert attrs["R_FLAT"] == "spec2x_miri_lrs_slitless_flat.fits"
        assert attrs["S_PHOTOM"] == "COMPLETE"
        for skipped in ("S_BPXSLF", "S_TACNTR", "S_MSAFLG"):  # as jwst records them
            assert attrs[skipped] == "SKIPPED", (kind, skipped)
    for after_cal in ("S_TRCMOD", "S_PXREPL"):  # steps on a copy of the cal product
        assert products["x1dints"].attrs[after_cal] == "SKIPPED"
        assert after_cal not in products["calints"].attrs
    path = spec2x.write_fits(products["calints"], tmp_path / "x_calints.fits")
    back = open_product(path)
    assert back.attrs["SPEC2XV"] == spec2x.__version__
    assert back.attrs["S_BPXSLF"] == "SKIPPED"


def test_integration_times_reach_the_x1dints(tso, tmp_path):
    from astropy.io import fits

    rate, refs = tso
    products = spec2(rate, refs)
    times = sorted(k for k in products["calints"].coords if k.startswith("int_times_"))
    assert "int_times_int_mid_MJD_UTC" in times
    x1d = products["x1dints"]
    for name in times:
        np.testing.assert_array_equal(x1d[name].values, products["calints"][name].values)
    path = spec2x.write_fits(x1d, tmp_path / "x_x1dints.fits")
    with fits.open(path) as hdul:
        assert len(hdul["INT_TIMES"].data) == 2
        assert "int_mid_MJD_UTC" in hdul["INT_TIMES"].columns.names
    back = open_product(path)
    for name in times:
        np.testing.assert_array_equal(back[name].values, x1d[name].values)


def test_an_all_nan_exposure_is_said(tso):
    rate, refs = tso
    ds = open_exposure(rate)
    ds = ds.assign(sci=ds["sci"] * np.nan)
    with pytest.warns(Spec2xWarning, match="holds no finite value"):
        spec2(ds, refs)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Spec2xWarning)
        spec2(rate, refs)  # a good exposure: no word
