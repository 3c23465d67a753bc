"""imprint_subtract: jwst 3.0.0's ImprintStep selection rules and parity on the same arrays."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spec2x import make_exposure
from spec2x.errors import InputFileError
from spec2x.steps import StepContext
from spec2x.steps.imprint_subtract import from_chain, imprint_subtract, select_imprint
from spec2x.synthetic.nirspec_msa_scene import MOS_ATTRS, imprint_exposure

SHAPE = (40, 60)


def _science(seed: int = 1, **attrs):
    gen = np.random.default_rng(seed)
    keywords = {**MOS_ATTRS, "OBSERVTN": "001", "PATT_NUM": 1, "BKGDTARG": False, **attrs}
    dq = np.where(gen.random(SHAPE) < 0.02, 4, 0).astype(np.uint32)
    return make_exposure(gen.normal(3.0, 1.0, SHAPE), dq=dq, attrs=keywords)


def _kw(obs="001", pos=1, bkg=False):
    return {"OBSERVTN": obs, "PATT_NUM": pos, "BKGDTARG": bkg}


# -- the selection rules --------------------------------------------------------


def test_one_imprint_is_used_whatever_its_keywords():
    assert select_imprint(_kw(), [_kw(obs="009", pos=3, bkg=True)]) == 0


def test_background_flag_sets_imprints_aside():
    imprints = [_kw(pos=2, bkg=True), _kw(pos=3)]
    assert select_imprint(_kw(pos=1), imprints) == 1  # only one left with the same flag
    assert select_imprint(_kw(pos=1, bkg=True), imprints) == 0


def test_position_and_observation_match():
    imprints = [_kw(pos=1), _kw(pos=2), _kw(pos=3)]
    assert select_imprint(_kw(pos=2), imprints) == 1
    assert select_imprint(_kw(obs="002", pos=2), imprints) is None  # several, none matches
    assert select_imprint(_kw(pos=1), [_kw(pos=1, bkg=True), _kw(pos=1, bkg=True)]) is None


def test_missing_background_flag_differs_from_false():
    """jwst compares the keyword as it is: absent (None) is not False."""
    imprints = [{"OBSERVTN": "001", "PATT_NUM": 1}, _kw(pos=2)]
    assert select_imprint(_kw(pos=1), imprints) == 1


# -- the step ---------------------------------------------------------------------


def test_subtracts_and_ors_dq():
    sci = _science()
    imp = imprint_exposure(sci, 3)
    out = imprint_subtract(sci, [imp])
    np.testing.assert_allclose(out["sci"].values, sci["sci"].values - imp["sci"].values)
    np.testing.assert_array_equal(out["dq"].values, sci["dq"].values | imp["dq"].values)
    np.testing.assert_array_equal(out["err"].values, sci["err"].values)
    assert out.attrs["S_IMPRNT"] == "COMPLETE"


def test_no_match_skips_unchanged():
    sci = _science(PATT_NUM=3)
    imps = [imprint_exposure(sci, i, PATT_NUM=i) for i in (1, 2)]
    out = imprint_subtract(sci, imps)
    assert out.attrs["S_IMPRNT"] == "SKIPPED"
    np.testing.assert_array_equal(out["sci"].values, sci["sci"].values)


def test_imprint_of_other_shape_is_one_clear_error():
    sci = _science()
    other = make_exposure(np.zeros((10, 10), np.float32), attrs={"FILENAME": "leak_rate.fits"})
    with pytest.raises(InputFileError, match="imprint leak_rate.fits has shape"):
        imprint_subtract(sci, [other])


def test_mos_chain_uses_the_first_of_several(caplog):
    sci = _science(PATT_NUM=2)
    imps = [imprint_exposure(sci, 4, PATT_NUM=1), imprint_exposure(sci, 5, PATT_NUM=2)]
    ctx = StepContext("imprint_subtract", refs=None, members={"imprint": imps})  # type: ignore[arg-type]
    out = from_chain(sci, ctx)
    np.testing.assert_allclose(out["sci"].values, sci["sci"].values - imps[0]["sci"].values)
    assert "wrong number of imprint members" in caplog.text
    ifu = _science(PATT_NUM=2, EXP_TYPE="NRS_IFU")
    out = from_chain(ifu, ctx)  # IFU: matched by dither position
    np.testing.assert_allclose(out["sci"].values, ifu["sci"].values - imps[1]["sci"].values)


def test_association_with_missing_imprint_is_one_clear_error(tmp_path):
    from spec2x.io.association import read_association

    (tmp_path / "sci_rate.fits").write_bytes(b"")
    asn = {
        "products": [
            {
                "name": "jw01234001001_01101_00001_nrs1",
                "members": [
                    {"expname": "sci_rate.fits", "exptype": "science"},
                    {"expname": "leak_rate.fits", "exptype": "imprint"},
                ],
            }
        ]
    }
    path = tmp_path / "asn.json"
    path.write_text(json.dumps(asn))
    with pytest.raises(InputFileError, match="imprint member leak_rate.fits not found"):
        read_association(path)


# -- parity -------------------------------------------------------------------------


def _model(ds):
    from stdatamodels.jwst import datamodels as dm

    m = dm.ImageModel(
        data=ds["sci"].values.copy(), err=ds["err"].values.copy(), dq=ds["dq"].values.copy()
    )
    m.meta.filename = ds.attrs["FILENAME"]
    m.meta.exposure.type = ds.attrs["EXP_TYPE"]
    m.meta.instrument.name = "NIRSPEC"
    m.meta.observation.observation_number = ds.attrs["OBSERVTN"]
    m.meta.dither.position_number = int(ds.attrs["PATT_NUM"])
    m.meta.observation.bkgdtarg = bool(ds.attrs["BKGDTARG"])
    return m


PARITY = {
    "one imprint": (dict(PATT_NUM=2), [dict(PATT_NUM=1)]),
    "dither match": (dict(PATT_NUM=2), [dict(PATT_NUM=p) for p in (1, 2, 3)]),
    "background target": (
        dict(PATT_NUM=1, BKGDTARG=True),
        [dict(PATT_NUM=1), dict(PATT_NUM=2, BKGDTARG=True)],
    ),
    "no match": (dict(PATT_NUM=3), [dict(PATT_NUM=1), dict(PATT_NUM=2)]),
}


@pytest.mark.parity
@pytest.mark.parametrize("exp_type", ["NRS_MSASPEC", "NRS_IFU"])
@pytest.mark.parametrize("case", list(PARITY))
def test_matches_jwst_imprint_step(case, exp_type, tmp_path):
    pytest.importorskip("jwst")
    from jwst.imprint import ImprintStep
    from jwst_offline import jwst_offline_env

    sci_kw, imp_kws = PARITY[case]
    sci = _science(7, EXP_TYPE=exp_type, FILENAME="sci_rate.fits", **sci_kw)
    imps = [
        imprint_exposure(sci, 20 + i, FILENAME=f"leak{i}_rate.fits", **{"BKGDTARG": False, **kw})
        for i, kw in enumerate(imp_kws)
    ]
    ours = imprint_subtract(sci, imps)
    with jwst_offline_env(tmp_path):
        theirs = ImprintStep.call(_model(sci), [_model(m) for m in imps])
    np.testing.assert_allclose(ours["sci"].values, theirs.data, rtol=1e-5, atol=0)
    np.testing.assert_array_equal(ours["dq"].values, theirs.dq)
    assert ours.attrs["S_IMPRNT"] == theirs.meta.cal_step.imprint
