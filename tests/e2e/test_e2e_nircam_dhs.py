"""NIRCam DHS time series (NRC_TSGRISM, SUB164STRIPE4_DHS; NRCALONG and NRCA1), whole chain.

A synthetic four-stripe ``_rateints`` (:mod:`spec2x.synthetic.nircam_dhs`, long and short wave,
read along rows as every NIRCam detector reads, and along columns, either way: jwst 3.0.0's
``|SLOWAXIS| = 1`` branch) runs through ``spec2x.spec2`` and jwst's ``Spec2Pipeline`` (offline, every
reference overridden; a full-frame flat read as the stripes read the
detector; the ``regions`` stripe map).  jwst 3.0.0 records photom COMPLETE
on a DHS MultiSlitModel but finds no photom row (the model has no top-level
spectral order) and leaves the stripes in DN/s; spec2x calibrates each
stripe as jwst calibrates a non-DHS time-series cut-out.  So the chain is
compared without photom, and photom stripe by stripe against jwst's
PhotomStep on each stripe's cut-out as a SlitModel (docs/parity.md).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from e2e_helpers import max_rel

from spec2x.pipeline import spec2
from spec2x.slits import iter_slits
from spec2x.synthetic.nircam_dhs import make_nircam_dhs

pytestmark = [pytest.mark.parity, pytest.mark.slow]


#: column reads, and the reads reversed (a negative SLOWAXIS)
_COLUMNS = {"columns": {}, "columns_reversed": {"SLOWAXIS": -1, "FASTAXIS": 2}}


@pytest.fixture(
    scope="module",
    params=["long_wave", "short_wave"]
    + [f"{w}_wave_{c}" for c in _COLUMNS for w in ("long", "short")],
)
def dhs(request, tmp_path_factory):
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    folder = tmp_path_factory.mktemp(f"nrc_dhs_{request.param}")
    short, read = request.param.startswith("short"), request.param.split("_wave_")[-1]
    extra = _COLUMNS.get(read, {})
    path, refs = make_nircam_dhs(
        3, nints=2, folder=folder, short=short, columns=read in _COLUMNS, **extra
    )
    refs = {**{k: str(v) for k, v in refs.items()}, "apcorr": "N/A", "area": "N/A"}
    steps = {"assign_wcs": {"sip_approx": False}, "photom": {"skip": True}}
    run = run_jwst_spec2(path, refs, steps, output_dir=folder / "jwst")
    return {
        "refs": refs,
        "jwst": run.files,
        "no_photom": spec2(path, refs, skip=("photom",)),
        "spec2x": spec2(path, refs),
    }


def _stripes(calints):
    return {str(s["slit_name"].values[0]): s.isel(slit=0) for s in iter_slits(calints)}


def test_chain_without_photom_equals_jwst(dhs):
    from stdatamodels.jwst import datamodels

    ours = _stripes(dhs["no_photom"]["calints"])
    with datamodels.open(dhs["jwst"]["calints"]) as theirs:
        assert type(theirs).__name__ == "MultiSlitModel"
        assert sorted(ours) == sorted(s.name for s in theirs.slits) == ["1", "2", "3", "4"]
        # jwst's slit order: stripes 1 ... 4 (long wave), the labels increasing (short wave)
        names = [str(n) for n in dhs["no_photom"]["x1dints"]["slit_name"].values]
        assert names == [s.name for s in theirs.slits]
        for slit in theirs.slits:
            mine = ours[slit.name]
            assert (int(mine["ystart"]), int(mine["ysize"])) == (slit.ystart, slit.ysize)
            for var, arr in (("sci", slit.data), ("err", slit.err), ("var_flat", slit.var_flat)):
                assert mine[var].shape == arr.shape, var
                assert max_rel(mine[var].values, arr) < 1e-6, (slit.name, var)
            np.testing.assert_array_equal(mine["dq"].values, slit.dq)
            np.testing.assert_array_equal(mine["wavelength"].values, slit.wavelength)
    x1d = dhs["no_photom"]["x1dints"]
    with datamodels.open(dhs["jwst"]["x1dints"]) as theirs:
        assert type(theirs).__name__ == "TSOMultiSpecModel"
        assert len(theirs.spec) == x1d.sizes["slit"] == 4
        for i, spec in enumerate(theirs.spec):
            for name in ("wavelength", "flux", "flux_error", "surf_bright", "npixels"):
                values = np.asarray(x1d[name].values[i], float)
                assert values.shape == spec.spec_table[name.upper()].shape, name
                assert max_rel(values, spec.spec_table[name.upper()]) < 1e-6, (i, name)


def test_photom_per_stripe_equals_jwst(dhs, tmp_path):
    """Each stripe calibrated as jwst's PhotomStep calibrates that stripe's cut-out."""
    from jwst.photom import PhotomStep
    from jwst_offline import run_jwst_step
    from stdatamodels.jwst import datamodels

    ours = _stripes(dhs["spec2x"]["calints"])
    assert {s.attrs["S_PHOTOM"] for s in ours.values()} == {"COMPLETE"}
    with datamodels.open(dhs["jwst"]["calints"]) as cut:
        for slit in cut.slits:
            one = datamodels.SlitModel(slit.instance)
            one.update(cut, only="PRIMARY")
            one.meta.wcsinfo.spectral_order = slit.meta.wcsinfo.spectral_order
            one.meta.exposure.type = "NRC_TSGRISM"
            theirs = run_jwst_step(
                PhotomStep, one, {"photom": dhs["refs"]["photom"]}, rest="N/A", tmp_path=tmp_path
            )
            mine = ours[slit.name]
            assert max_rel(mine["sci"].values, theirs.data) < 1e-6, slit.name
            assert max_rel(mine["err"].values, theirs.err) < 1e-6, slit.name


def test_column_read_dask_equals_numpy(tmp_path):
    """A DHS exposure read along columns, read an integration at a time: NumPy's products."""
    path, refs = make_nircam_dhs(5, nints=2, folder=tmp_path, short=True, columns=True)
    refs = {**{k: str(v) for k, v in refs.items()}, "apcorr": "N/A", "area": "N/A"}
    whole = spec2(path, refs)
    lazy = spec2(path, refs, chunks={"integration": 1})
    for a, b in zip(iter_slits(whole["calints"]), iter_slits(lazy["calints"]), strict=True):
        for var in ("sci", "err", "dq", "wavelength"):
            np.testing.assert_array_equal(a[var].values, b[var].values)
    for var in ("flux", "flux_error", "wavelength"):
        np.testing.assert_array_equal(whole["x1dints"][var].values, lazy["x1dints"][var].values)
    assert np.isfinite(whole["x1dints"]["flux"].values).mean() > 0.9


def test_products_open_in_stdatamodels(dhs, tmp_path):
    """The DHS products written open as jwst's do: MultiSlitModel, TSOMultiSpecModel (the
    short-wave stripes' WCS too: no model in it is its own inverse, which the ASDF writer
    followed without end)."""
    from stdatamodels.jwst import datamodels

    from spec2x.io.fits import write_fits

    ours = dhs["spec2x"]
    cal = write_fits(ours["calints"], tmp_path / "nrc_dhs_calints.fits")
    x1d = write_fits(ours["x1dints"], tmp_path / "nrc_dhs_x1dints.fits")
    with datamodels.open(cal) as model, datamodels.open(dhs["jwst"]["calints"]) as theirs:
        assert type(model).__name__ == "MultiSlitModel"
        assert [s.name for s in model.slits] == [s.name for s in theirs.slits]
        for mine, slit in zip(model.slits, theirs.slits, strict=True):
            assert mine.data.shape == slit.data.shape
            assert (mine.xstart, mine.ystart) == (slit.xstart, slit.ystart)
    with datamodels.open(x1d) as model:
        assert type(model).__name__ == "TSOMultiSpecModel"
        assert len(model.spec) == ours["x1dints"].sizes["slit"]
