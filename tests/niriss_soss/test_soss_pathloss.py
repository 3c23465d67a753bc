"""SOSS pathloss of a non-TSO ``_rate`` exposure: jwst 3.0.0's PathLossStep and Spec2Pipeline.

The synthetic pathloss reference (``write_soss_pathloss``) covers columns
5-2044 and pupil positions 245.26-246.26 degrees; the exposure is one
SUBSTRIP256 or SUBSTRIP96 integration with ``TSOVISIT = F``.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from helpers import assert_in_place_same

from spec2x.errors import ReferenceMismatchError
from spec2x.instruments.niriss.soss_pathloss import soss_correction, soss_pathloss
from spec2x.io.fits import write_fits
from spec2x.io.references import open_reference
from spec2x.steps.pathloss import pathloss
from spec2x.synthetic.niriss_soss import make_soss_rateints
from spec2x.synthetic.niriss_soss_cal_refs import (
    PATHLOSS_PUPIL,
    soss_pathloss_table,
    write_soss_cal_references,
)
from spec2x.synthetic.niriss_soss_refs import write_soss_references

BOX = {"extract_1d": {"soss_atoca": False}}
_VARS = ("sci", "err", "var_poisson", "var_rnoise", "pathloss_point", "dq")


def _rate(subarray="SUBSTRIP256", pwcpos=245.79):
    """One integration, TSOVISIT false; the scene drawn at 245.79 (the synthetic traces cover
    245.51-246.01 degrees), ``PWCPOS`` set to ``pwcpos``."""
    ds = make_soss_rateints(nints=1, subarray=subarray, TSOVISIT=False).isel(integration=0)
    ds.attrs["PWCPOS"] = pwcpos
    return ds


@pytest.fixture(scope="module")
def refs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("soss_pathloss")
    paths = {**write_soss_references(folder), **write_soss_cal_references(folder)}
    return {k: str(v) for k, v in paths.items()}


@pytest.fixture(scope="module")
def reference(refs):
    return open_reference(refs["pathloss"])


def test_correction_at_a_node_is_the_table_column(reference):
    first, step, _ = PATHLOSS_PUPIL
    out = pathloss(_rate(pwcpos=first + 12 * step), reference)
    assert out.attrs["S_PTHLOS"] == "COMPLETE"
    plane = out["pathloss_point"].values
    table = soss_pathloss_table()
    np.testing.assert_allclose(plane[0, 4:2044], table[:, 12], rtol=1e-6)
    assert np.all(plane[:, :4] == 1)  # columns the reference does not cover
    assert np.all(plane[:, 2044:] == 1)
    assert np.all(plane == plane[0])
    ds = _rate(pwcpos=first + 12 * step)
    np.testing.assert_allclose(out["sci"].values, ds["sci"].values / plane, rtol=1e-6)
    np.testing.assert_allclose(out["var_rnoise"].values, ds["var_rnoise"].values / plane**2, 1e-6)


def test_pupil_position_outside_the_reference_gives_one(reference, caplog):
    ds = _rate(pwcpos=247.0)
    with caplog.at_level(logging.WARNING):
        out = pathloss(ds, reference)
    assert "outside the coverage" in caplog.text
    assert out.attrs["S_PTHLOS"] == "COMPLETE"
    assert np.all(out["pathloss_point"].values == 1)
    np.testing.assert_array_equal(out["sci"].values, ds["sci"].values)
    table, wcs = reference.content.point["FULL"], reference.content.wcs["FULL"]
    assert soss_correction(table, wcs, PATHLOSS_PUPIL[0] - 0.01, 2048) is None


def test_skips_as_jwst(reference, caplog):
    assert soss_pathloss(make_soss_rateints(nints=1), reference).attrs["S_PTHLOS"] == "SKIPPED"
    ds = _rate()
    with caplog.at_level(logging.WARNING):
        assert pathloss(ds, reference, inverse=True).attrs["S_PTHLOS"] == "SKIPPED"
        assert pathloss(ds, reference, source_type="POINT").attrs["S_PTHLOS"] == "SKIPPED"
        no_pupil = ds.copy()
        del no_pupil.attrs["PWCPOS"]
        assert pathloss(no_pupil, reference).attrs["S_PTHLOS"] == "SKIPPED"
        other = ds.copy()
        other.attrs["SUBARRAY"] = "SUBSTRIP128"
        assert pathloss(other, reference).attrs["S_PTHLOS"] == "SKIPPED"
    for words in ("inversion", "source type", "PWCPOS", "SUBARRAY='SUBSTRIP128'"):
        assert words in caplog.text


def test_owning_its_input_writes_the_same_numbers_into_it(reference):
    from spec2x.io.references import ReferenceSet
    from spec2x.steps import StepContext
    from spec2x.steps.pathloss import from_chain

    ctx = StepContext("pathloss", ReferenceSet({"pathloss": reference}))
    assert assert_in_place_same(from_chain, _rate(), ctx).attrs["S_PTHLOS"] == "COMPLETE"


def test_a_reference_of_another_kind_is_refused(refs):
    with pytest.raises(ReferenceMismatchError, match="not a NIRISS SOSS pathloss"):
        soss_pathloss(_rate(), open_reference(refs["photom"]))


def test_reference_opens_in_jwst(refs):
    pytest.importorskip("stdatamodels")
    from stdatamodels.jwst import datamodels

    with datamodels.PathlossModel(refs["pathloss"]) as model:
        model.validate()
        assert [a.name for a in model.apertures] == ["SUBSTRIP256", "SUBSTRIP96", "FULL"]
        assert model.apertures[0].pointsource_data.shape == (1, *soss_pathloss_table().shape)


@pytest.mark.parity
@pytest.mark.slow
@pytest.mark.parametrize(
    ("subarray", "pwcpos"),
    [("SUBSTRIP256", 245.79), ("SUBSTRIP96", 245.5317), ("SUBSTRIP256", 246.3)],
)
def test_matches_jwst_pathloss_step(refs, tmp_path, subarray, pwcpos):
    """Bit for bit with PathLossStep: in range, between nodes, and outside the positions."""
    pytest.importorskip("jwst")
    from jwst.pathloss import PathLossStep
    from jwst_offline import run_jwst_step

    ds = _rate(subarray, pwcpos)
    mine = pathloss(ds, open_reference(refs["pathloss"]))
    path = write_fits(ds, tmp_path / "jw_soss_rate.fits")
    theirs = run_jwst_step(
        PathLossStep, str(path), {"pathloss": refs["pathloss"]}, rest="N/A", tmp_path=tmp_path
    )
    assert theirs.meta.cal_step.pathloss == "COMPLETE"
    for key in _VARS:
        theirs_array = getattr(theirs, {"sci": "data"}.get(key, key))
        np.testing.assert_array_equal(mine[key].values, theirs_array, err_msg=key)


@pytest.mark.parity
@pytest.mark.slow
def test_rate_chain_matches_jwst(refs, tmp_path):
    """``_rate`` -> ``_cal`` + ``_x1d`` (box extraction) with the pathloss applied, against
    Spec2Pipeline: cal to 1e-5, every order of x1d to 1e-4."""
    pytest.importorskip("jwst")
    from jwst_offline import run_jwst_spec2
    from stdatamodels.jwst import datamodels

    from spec2x.pipeline import spec2

    logging.getLogger("stpipe").setLevel(logging.WARNING)
    path = write_fits(_rate(), tmp_path / "jw_soss_rate.fits")
    ours = spec2(path, refs, BOX)
    assert sorted(ours) == ["cal", "x1d"]
    assert ours["x1d"].attrs["S_PTHLOS"] == "COMPLETE"
    run = run_jwst_spec2(path, refs, BOX, output_dir=tmp_path / "jwst")
    with datamodels.open(run.files["cal"]) as model:
        assert model.meta.cal_step.pathloss == "COMPLETE"
        cal = ours["cal"]
        for var in ("sci", "err", "var_poisson", "var_rnoise", "var_flat"):
            theirs = getattr(model, "data" if var == "sci" else var)
            np.testing.assert_allclose(cal[var].values, theirs, rtol=1e-5, err_msg=var)
        np.testing.assert_array_equal(cal["dq"].values, model.dq)
    with datamodels.open(run.files["x1d"]) as model:
        x1d = ours["x1d"]
        assert [s.spectral_order for s in model.spec] == list(x1d["spectral_order"].values)
        for i, spec in enumerate(model.spec):
            for col in ("WAVELENGTH", "FLUX", "FLUX_ERROR"):
                theirs = np.ravel(spec.spec_table[col])  # one row: jwst's TSOMultiSpecModel
                mine = np.ravel(x1d[col.lower()].isel(order=i).values)[: theirs.size]
                label = f"order {spec.spectral_order} {col}"
                np.testing.assert_allclose(mine, theirs, rtol=1e-4, err_msg=label)
