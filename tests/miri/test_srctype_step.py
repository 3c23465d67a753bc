"""srctype: the decision table, slit products, and parity with jwst 3.0.0."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from spec2x import make_exposure
from spec2x.errors import InputFileError, ParameterError
from spec2x.steps.srctype import decide_source_type, is_tso, srctype


def _exposure(nints: int = 1, **attrs):
    shape = (4, 5) if nints == 1 else (nints, 4, 5)
    return make_exposure(np.zeros(shape), attrs=attrs)


def _slits(names, **attrs):
    n = len(names)
    base = make_exposure(np.zeros((3, 4)), attrs=attrs)
    ds = xr.concat([base] * n, dim="slit")
    ds.attrs = dict(attrs)
    return ds.assign_coords(
        slit_name=("slit", np.asarray(names)),
        source_xpos=("slit", np.linspace(0.1, 0.3, n)),
        source_ypos=("slit", np.linspace(-0.2, 0.2, n)),
    )


@pytest.mark.parametrize(
    ("attrs", "param", "expected"),
    [
        ({"EXP_TYPE": "MIR_LRS-FIXEDSLIT", "SRCTYAPT": "EXTENDED"}, None, "EXTENDED"),
        ({"EXP_TYPE": "MIR_LRS-FIXEDSLIT", "SRCTYAPT": "EXTENDED"}, "POINT", "POINT"),
        ({"EXP_TYPE": "MIR_LRS-FIXEDSLIT", "PATTTYPE": "ALONG-SLIT-NOD"}, None, "POINT"),
        (
            {"EXP_TYPE": "MIR_LRS-FIXEDSLIT", "SRCTYAPT": "POINT", "BKGDTARG": True},
            None,
            "EXTENDED",
        ),
        (
            {"EXP_TYPE": "MIR_LRS-SLITLESS", "SRCTYAPT": "EXTENDED", "TSOVISIT": True, "NINTS": 5},
            None,
            "POINT",
        ),
        (
            {"EXP_TYPE": "MIR_LRS-SLITLESS", "SRCTYAPT": "EXTENDED", "TSOVISIT": True, "NINTS": 1},
            None,
            "EXTENDED",
        ),
        ({"EXP_TYPE": "MIR_MRS"}, None, "EXTENDED"),
        ({"EXP_TYPE": "MIR_MRS", "DITHOPFR": "POINT-SOURCE"}, None, "POINT"),
        ({"EXP_TYPE": "NRS_IFU", "SRCTYPE": "POINT"}, None, "POINT"),
        ({"EXP_TYPE": "NRS_BRIGHTOBJ", "SRCTYAPT": "EXTENDED", "NINTS": 3}, None, "POINT"),
        ({"EXP_TYPE": "NIS_SOSS", "SRCTYAPT": "UNKNOWN"}, None, "POINT"),
    ],
)
def test_decision_table(attrs, param, expected):
    out = srctype(_exposure(**attrs), source_type=param)
    assert out.attrs["SRCTYPE"] == expected
    assert out.attrs["S_SRCTYP"] == "COMPLETE"
    assert decide_source_type(attrs, param)[0] == expected


def test_input_unchanged_and_srctyapt_backfilled():
    ds = _exposure(EXP_TYPE="MIR_LRS-FIXEDSLIT", SRCTYPE="EXTENDED")
    before = dict(ds.attrs)
    out = srctype(ds)
    assert ds.attrs == before
    assert out.attrs["SRCTYAPT"] == "EXTENDED"
    assert out.attrs["SRCTYPE"] == "EXTENDED"
    assert "srctype" not in out.coords


def test_other_modes():
    assert srctype(_exposure(EXP_TYPE="NRC_TSIMAGE", NINTS=4)).attrs["SRCTYPE"] == "POINT"
    assert srctype(_exposure(EXP_TYPE="MIR_IMAGE")).attrs["SRCTYPE"] == "UNKNOWN"
    assert is_tso({"EXP_TYPE": "NRS_BRIGHTOBJ"})
    assert is_tso({"EXP_TYPE": "MIR_LRS-SLITLESS", "TSOVISIT": "T", "NINTS": 2})
    assert not is_tso({"EXP_TYPE": "NRS_BRIGHTOBJ", "NINTS": 1})


def test_nirspec_fixed_slit_primary_only():
    ds = _slits(
        ["S200A1", "S200A2", "S400A1"],
        EXP_TYPE="NRS_FIXEDSLIT",
        FXD_SLIT="S200A2",
        SRCTYAPT="POINT",
    )
    out = srctype(ds)
    assert list(out["srctype"].values) == ["EXTENDED", "POINT", "EXTENDED"]
    np.testing.assert_array_equal(out["source_xpos"].values, ds["source_xpos"].values)
    ext = srctype(ds, source_type="EXTENDED")
    assert list(ext["srctype"].values) == ["EXTENDED"] * 3
    assert ext["source_xpos"].values[1] == 0.0
    assert ext["source_ypos"].values[1] == 0.0
    assert ext["source_xpos"].values[0] == ds["source_xpos"].values[0]


def test_msa_stellarity():
    ds = _slits(["1", "2", "3", "4"], EXP_TYPE="NRS_MSASPEC", SRCTYPE="POINT")
    ds = ds.assign_coords(stellarity=("slit", [-1.0, 0.5, 0.76, np.nan]))
    out = srctype(ds)
    assert list(out["srctype"].values) == ["POINT", "EXTENDED", "POINT", "EXTENDED"]
    assert "SRCTYPE" not in out.attrs
    with pytest.raises(InputFileError, match="stellarity"):
        srctype(ds.drop_vars("stellarity"))


def test_wfss_is_extended():
    ds = _slits(["a", "b"], EXP_TYPE="NIS_WFSS").assign_coords(is_extended=("slit", [True, False]))
    assert list(srctype(ds)["srctype"].values) == ["EXTENDED", "POINT"]


def test_errors():
    with pytest.raises(ParameterError, match="source_type"):
        srctype(_exposure(EXP_TYPE="MIR_LRS-FIXEDSLIT"), source_type="point-ish")
    with pytest.raises(ParameterError, match="NIS_SOSS"):
        srctype(_exposure(EXP_TYPE="NIS_SOSS"), source_type="POINT")
    with pytest.raises(InputFileError, match="EXP_TYPE"):
        srctype(_exposure())


# --------------------------------------------------------------- parity

_PARITY_EXP = [
    "MIR_LRS-FIXEDSLIT",
    "MIR_LRS-SLITLESS",
    "MIR_MRS",
    "NRS_IFU",
    "NRS_BRIGHTOBJ",
    "NRC_TSIMAGE",
    "MIR_IMAGE",
]
_PARITY_CASES = list(
    itertools.product(
        _PARITY_EXP,
        [None, "POINT", "EXTENDED"],  # SRCTYAPT
        [None, True, False],  # BKGDTARG
        [None, "ALONG-SLIT-NOD"],  # PATTTYPE
        [None, True],  # TSOVISIT
        [1, 3],  # NINTS
        [None, "POINT", "EXTENDED"],  # source_type parameter
    )
)


def _jwst_model(exp_type, apt, bkg, patt, tso, nints):
    from stdatamodels.jwst import datamodels

    model = datamodels.ImageModel((4, 5)) if nints == 1 else datamodels.CubeModel((nints, 4, 5))
    model.meta.exposure.type = exp_type
    model.meta.exposure.nints = nints
    if apt is not None:
        model.meta.target.source_type_apt = apt
    if bkg is not None:
        model.meta.observation.bkgdtarg = bkg
    if patt is not None:
        model.meta.dither.primary_type = patt
    if tso is not None:
        model.meta.visit.tsovisit = tso
    return model


@pytest.mark.parity
def test_parity_with_jwst_decision_table():
    pytest.importorskip("jwst")
    from jwst.srctype.srctype import set_source_type

    rng = np.random.default_rng(3)
    cases = [_PARITY_CASES[i] for i in rng.choice(len(_PARITY_CASES), 120, replace=False)]
    checked = 0
    for exp_type, apt, bkg, patt, tso, nints, param in cases:
        if param is not None and exp_type not in (
            "MIR_LRS-FIXEDSLIT",
            "MIR_LRS-SLITLESS",
            "MIR_MRS",
            "NRS_IFU",
            "NRS_BRIGHTOBJ",
        ):
            continue
        model = _jwst_model(exp_type, apt, bkg, patt, tso, nints)
        expected = set_source_type(model, param).meta.target.source_type
        attrs = {"EXP_TYPE": exp_type, "NINTS": nints}
        for key, value in (
            ("SRCTYAPT", apt),
            ("BKGDTARG", bkg),
            ("PATTTYPE", patt),
            ("TSOVISIT", tso),
        ):
            if value is not None:
                attrs[key] = value
        got = srctype(_exposure(nints, **attrs), source_type=param).attrs.get("SRCTYPE")
        assert got == expected, (exp_type, apt, bkg, patt, tso, nints, param)
        checked += 1
    assert checked > 60


@pytest.mark.parity
def test_parity_with_jwst_slits():
    pytest.importorskip("jwst")
    from jwst.srctype.srctype import set_source_type
    from stdatamodels.jwst import datamodels

    names = ["S200A1", "S200A2", "S400A1", "S1600A1"]
    for param in (None, "EXTENDED", "POINT"):
        model = datamodels.MultiSlitModel()
        model.meta.exposure.type = "NRS_FIXEDSLIT"
        model.meta.instrument.fixed_slit = "S400A1"
        model.meta.target.source_type_apt = "POINT"
        for i, name in enumerate(names):
            slit = datamodels.SlitModel(np.zeros((3, 4), np.float32))
            slit.name = name
            slit.source_xpos = 0.1 * (i + 1)
            slit.source_ypos = -0.1 * (i + 1)
            model.slits.append(slit)
        expected = set_source_type(model, param)
        ds = _slits(names, EXP_TYPE="NRS_FIXEDSLIT", FXD_SLIT="S400A1", SRCTYAPT="POINT")
        ds = ds.assign_coords(
            source_xpos=("slit", [0.1 * (i + 1) for i in range(4)]),
            source_ypos=("slit", [-0.1 * (i + 1) for i in range(4)]),
        )
        out = srctype(ds, source_type=param)
        assert list(out["srctype"].values) == [s.source_type for s in expected.slits]
        np.testing.assert_allclose(
            out["source_xpos"].values, [s.source_xpos for s in expected.slits]
        )
        assert out.attrs["SRCTYPE"] == expected.meta.target.source_type

    model = datamodels.MultiSlitModel()
    model.meta.exposure.type = "NRS_MSASPEC"
    stellarity = [-1.0, 0.2, 0.75, 0.9]
    for i, value in enumerate(stellarity):
        slit = datamodels.SlitModel(np.zeros((3, 4), np.float32))
        slit.name = str(i)
        slit.stellarity = value
        model.slits.append(slit)
    expected = [s.source_type for s in set_source_type(model).slits]
    ds = _slits(["0", "1", "2", "3"], EXP_TYPE="NRS_MSASPEC").assign_coords(
        stellarity=("slit", stellarity)
    )
    assert list(srctype(ds)["srctype"].values) == expected


# --------------------------------------------------------------- properties


@settings(deadline=None, max_examples=40)
@given(
    exp_type=st.sampled_from(_PARITY_EXP + ["NRS_FIXEDSLIT", "NIS_SOSS", "NRC_TSGRISM"]),
    apt=st.sampled_from([None, "POINT", "EXTENDED", "UNKNOWN"]),
    bkg=st.sampled_from([None, True, False, "T", "F"]),
    patt=st.sampled_from([None, "ALONG-SLIT-NOD", "2-POINT-NOD", "NONE"]),
    nints=st.integers(1, 4),
)
def test_srctype_properties(exp_type, apt, bkg, patt, nints):
    attrs = {"EXP_TYPE": exp_type, "NINTS": nints}
    for key, value in (("SRCTYAPT", apt), ("BKGDTARG", bkg), ("PATTTYPE", patt)):
        if value is not None:
            attrs[key] = value
    ds = _exposure(nints, **attrs)
    out = srctype(ds)
    assert out.attrs["SRCTYPE"] in ("POINT", "EXTENDED", "UNKNOWN")
    assert ds.attrs == attrs | {"SUBSTRT1": 1, "SUBSTRT2": 1, "SUBSIZE1": 5, "SUBSIZE2": 4}
    for name in ds.data_vars:
        assert out[name] is not None
        np.testing.assert_array_equal(out[name].values, ds[name].values)
    if bkg in (True, "T") and exp_type not in ("MIR_IMAGE", "NRC_TSIMAGE"):
        assert out.attrs["SRCTYPE"] == "EXTENDED"  # a background target is extended
    # a user choice always wins where it is allowed
    if exp_type not in ("NIS_SOSS", "MIR_IMAGE", "NRC_TSIMAGE"):
        assert srctype(ds, source_type="EXTENDED").attrs["SRCTYPE"] == "EXTENDED"
