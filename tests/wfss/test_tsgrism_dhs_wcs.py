"""NIRCam DHS time series (NRC_TSGRISM, SUB164STRIPE4_DHS; NRCALONG and NRCA1): the stripe reads,
the WCS and the stripe cut-outs equal to jwst 3.0.0's (``generate_substripe_ranges``,
``assign_wcs.nircam.dhs``, ``extract_tso_object``)."""

from __future__ import annotations

import numpy as np
import pytest
from wfss_helpers import REAL_SPECWCS, jwst_tsgrism_cube, nrc_attrs

from spec2x.errors import InputFileError, ReferenceMismatchError
from spec2x.instruments.nircam.dhs_wcs import dhs_regions, dhs_stripe_count, dhs_wcs
from spec2x.instruments.nircam.stripes import read_lines, stripe_ranges
from spec2x.synthetic.nircam_dhs import (
    COLUMN_READ,
    DHS_KEYWORDS,
    DHS_SHAPE,
    DHS_SW_KEYWORDS,
    write_dhs_regions,
    write_dhs_sw_specwcs,
)

#: the stripes' subarray rows of SUB164STRIPE4_DHS (a reference row before each)
STRIPE_ROWS = [(1, 41), (42, 82), (83, 123), (124, 164)]


def _attrs(short=False, **extra):
    base = DHS_SW_KEYWORDS if short else DHS_KEYWORDS
    return nrc_attrs(**{**base, "VELOSYS": -9378.83, **extra})


def test_stripe_reads_by_hand():
    got = stripe_ranges(_attrs(), DHS_SHAPE[0])
    assert got.subarray == STRIPE_ROWS
    assert got.full == [(972, 1012)] * 4
    assert got.ref_full == [(0, 1)] * 4
    rows = read_lines(got)
    assert rows[0] == 0
    assert list(rows[1:41]) == list(range(972, 1012))
    assert list(rows[41:43]) == [0, 972]
    # not repeated: the stripes follow each other, 10 rows apart
    sk = stripe_ranges(_attrs(MSTR_RPT=0, MSTR_SK2=10), DHS_SHAPE[0] - 3)
    assert sk.full == [(972, 1012), (1022, 1062), (1072, 1112), (1122, 1162)]
    # rows running the other way (SLOWAXIS -2): the science frame flips
    flipped = stripe_ranges(_attrs(SLOWAXIS=-2), DHS_SHAPE[0])
    assert flipped.science_subarray()[0] == (123, 163)
    with pytest.raises(InputFileError, match="read 123 rows"):
        stripe_ranges(_attrs(), 100)
    with pytest.raises(InputFileError, match="MSTR_RD2"):
        stripe_ranges(_attrs(MSTR_RD2=None), 164)
    assert dhs_stripe_count(_attrs()) == 4


def test_regions_read_as_the_subarray(tmp_path):
    path = write_dhs_regions(tmp_path / "regions.asdf")
    labels = dhs_regions(_attrs(), path, DHS_SHAPE)
    assert labels.shape == DHS_SHAPE
    assert np.all(labels[[0, 41, 82, 123]] == 0)  # the reference rows
    assert np.all(labels[1:41] == 1)
    whole = dhs_regions(_attrs(), path, (2048, 2048))  # a map of the data's shape: as it is
    assert whole.shape == (2048, 2048)
    assert whole[972:1012].all()


def _refs(wfss, tmp_path, real=False, short=False, labels=(4, 3, 2, 1)):
    refs = {k: v for k, v in wfss("GRISMR")["refs"].items() if k != "wavelengthrange"}
    if real:
        if not REAL_SPECWCS["GRISMR"].is_file():  # pragma: no cover - no shared/
            pytest.skip("real NIRCam specwcs not found")
        refs["specwcs"] = REAL_SPECWCS["GRISMR"]
    if short:
        refs["specwcs"] = write_dhs_sw_specwcs(tmp_path / "sw_specwcs.asdf", labels)
    refs["regions"] = write_dhs_regions(tmp_path / "regions.asdf", _attrs(short), labels)
    return refs


def _jwst(attrs, refs, shape=DHS_SHAPE):
    """jwst's DHS gwcs (``assign_wcs.nircam.dhs``) for these keywords and references."""
    from gwcs import wcs as gwcs_wcs
    from jwst.assign_wcs import nircam

    model = _jwst_model(attrs, refs, wcs=False, shape=shape)
    return gwcs_wcs.WCS(nircam.dhs(model, {k: str(v) for k, v in refs.items()}))


def _jwst_model(attrs, refs, wcs=True, shape=DHS_SHAPE):
    """A jwst CubeModel of the DHS exposure (with jwst's DHS WCS unless ``wcs`` is False)."""
    model = jwst_tsgrism_cube(attrs, shape)
    sub = model.meta.subarray
    sub.fastaxis, sub.slowaxis = attrs["FASTAXIS"], attrs["SLOWAXIS"]
    sub.num_superstripe = attrs["SSTR_NST"]
    sub.multistripe_reads1, sub.multistripe_skips1 = attrs["MSTR_RD1"], attrs["MSTR_SK1"]
    sub.multistripe_reads2, sub.multistripe_skips2 = attrs["MSTR_RD2"], attrs["MSTR_SK2"]
    sub.repeat_stripe, sub.interleave_reads1 = attrs["MSTR_RPT"], attrs["MSTR_ILV"]
    model.meta.wcsinfo.velosys = attrs["VELOSYS"]
    model.meta.aperture.pps_name = attrs.get("PPS_APER")
    if wcs:
        model.meta.wcs = _jwst(attrs, refs, shape)
    return model


#: (ny, nx) of the DHS exposure read along columns
COLUMN_SHAPE = DHS_SHAPE[::-1]


@pytest.mark.parity
@pytest.mark.parametrize("slowaxis", [1, -1, 2, -2])
def test_column_read_stripes_equal_jwst(tmp_path, slowaxis):
    """A subarray read along columns (``|SLOWAXIS|`` 1; rows for 2): the stripes and the
    ``regions`` labels on the data as jwst's ``generate_substripe_ranges`` and ``stripe_read``."""
    pytest.importorskip("jwst")
    from jwst.lib.reffile_utils import get_subarray_model
    from jwst.lib.stripe_utils import generate_substripe_ranges
    from stdatamodels.jwst.datamodels import RegionsModel

    columns = abs(slowaxis) == 1
    extra = {**(COLUMN_READ if columns else {}), "SLOWAXIS": slowaxis}
    extra["FASTAXIS"] = (2 if columns else 1) * (1 if slowaxis < 0 else -1)
    attrs, shape = _attrs(**extra), COLUMN_SHAPE if columns else DHS_SHAPE
    model = _jwst_model(attrs, {}, wcs=False, shape=shape)
    theirs = generate_substripe_ranges(model, science_frame=True)["subarray"]
    ours = stripe_ranges(attrs, shape[1 if columns else 0]).science_subarray()
    assert ours == [tuple(theirs[i]) for i in sorted(theirs)]
    path = write_dhs_regions(tmp_path / "regions.asdf", attrs)
    with RegionsModel(str(path)) as regions:
        expected = get_subarray_model(model, regions).regions
    labels = dhs_regions(attrs, path, shape)
    np.testing.assert_array_equal(labels, expected)
    assert labels.any()  # the map made for the read: its stripes on the lines read


@pytest.mark.parity
@pytest.mark.parametrize("short", [False, True], ids=["long_wave", "short_wave"])
def test_column_read_wcs_equal_jwst(wfss, tmp_path, short):
    """jwst's DHS WCS of a subarray read along columns (its ``fastaxis`` 2 branch: a
    short-wave stripe's x shift from its first row in ``regions``)."""
    pytest.importorskip("jwst")
    attrs = _attrs(short, **COLUMN_READ)
    refs = _refs(wfss, tmp_path, short=short)
    refs["regions"] = write_dhs_regions(tmp_path / "regions_columns.asdf", attrs)
    ours = dhs_wcs(attrs, refs, shape=COLUMN_SHAPE)
    theirs = _jwst(attrs, refs, COLUMN_SHAPE)
    y, x = np.mgrid[0:2048:37, 0:164:1].astype(np.float64)
    one = np.ones_like(x)
    mine = ours(x, y, one)
    assert np.isfinite(mine[2]).mean() > 0.9
    for a, b in zip(mine, theirs(x, y, one), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9, equal_nan=True)


@pytest.mark.parity
@pytest.mark.parametrize(
    ("real", "short"), [(False, False), (True, False), (False, True)],
    ids=["long_synthetic", "long_real_specwcs", "short_wave"],
)  # fmt: skip
def test_same_wcs_as_jwst(wfss, tmp_path, real, short):
    pytest.importorskip("jwst")
    refs = _refs(wfss, tmp_path, real, short)
    ours = dhs_wcs(_attrs(short), refs, shape=DHS_SHAPE)
    theirs = _jwst(_attrs(short), refs)
    assert ours.available_frames == theirs.available_frames
    y, x = np.mgrid[0:164:1, 0:2048:61].astype(np.float64)
    one = np.ones_like(x)  # the stripe selector takes whole arrays only
    mine = ours(x, y, one)
    for a, b in zip(mine, theirs(x, y, one), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9, equal_nan=True)
    ra, dec, lam, order, stripe = mine
    assert np.all(np.isnan(lam[[0, 41, 82, 123]]))  # the reference rows have no transform
    assert np.all(stripe[1:41] == (4 if short else 1))  # short wave: the lowest stripe, 4
    good = np.isfinite(lam)
    ra, dec, lam, stripe = ra[good], dec[good], lam[good], stripe[good]
    one = one[good]
    back = ours.backward_transform(ra, dec, lam, one, stripe)
    for a, b in zip(back, theirs.backward_transform(ra, dec, lam, one, stripe), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-7)
    inside = x[good] < 1800  # past the model's wavelength range the inverse saturates (as jwst)
    if not short:  # short wave: the inverse puts the source at (0, 0) (jwst's)
        np.testing.assert_allclose(back[0][inside], x[good][inside], atol=1e-3)
    step = ours.get_transform("grism_detector", "direct_image")
    ref = theirs.get_transform("grism_detector", "direct_image")
    one = np.ones_like(x)
    for a, b in zip(step(x, y, one), ref(x, y, one), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9, equal_nan=True)


def test_refusals(wfss, tmp_path):
    refs = _refs(wfss, tmp_path, short=True)
    with pytest.raises(InputFileError, match="PPS_APER"):
        dhs_wcs(_attrs(True, PPS_APER=None), refs, shape=DHS_SHAPE)
    with pytest.raises(ReferenceMismatchError, match="no stripe is in both"):
        dhs_wcs(_attrs(True, PPS_APER="NRCA5_GRISM_F277W"), refs, shape=DHS_SHAPE)
    lw = _refs(wfss, tmp_path)
    with pytest.raises(ReferenceMismatchError, match="specwcs with stripes"):
        dhs_wcs(_attrs(True), {**refs, "specwcs": lw["specwcs"]}, shape=DHS_SHAPE)
    with pytest.raises(InputFileError, match="regions"):
        dhs_wcs(_attrs(), {k: v for k, v in refs.items() if k != "regions"}, shape=DHS_SHAPE)
    with pytest.raises(InputFileError, match="stripe count"):
        dhs_stripe_count(_attrs(SUBARRAY="SUBDHS"))


@pytest.mark.parity
@pytest.mark.parametrize("short", [False, True], ids=["long_wave", "short_wave"])
def test_stripe_cutouts_equal_jwst(wfss, tmp_path, short):
    """extract_2d: one cut-out per stripe, pixels, float32 wavelengths and boxes equal to
    jwst's ``extract_tso_object`` on the same exposure and WCS."""
    pytest.importorskip("jwst")
    from jwst.extract_2d.grisms import extract_tso_object

    from spec2x.datamodel import make_exposure
    from spec2x.instruments.nircam.dhs_extract import extract_dhs
    from spec2x.instruments.nircam.tsgrism_wcs import assign_from_refs
    from spec2x.slits import iter_slits
    from spec2x.synthetic.nircam_wfss_refs import write_wavelengthrange

    refs = _refs(wfss, tmp_path, short=short)
    ranges = write_wavelengthrange(tmp_path / "wr.asdf", time_series=True)
    sci = np.random.default_rng(5).normal(1.0, 0.1, (2, *DHS_SHAPE)).astype(np.float32)
    ds = assign_from_refs(make_exposure(sci, attrs=_attrs(short)), refs)
    ours = list(iter_slits(extract_dhs(ds, 1)))
    model = _jwst_model(_attrs(short), refs)
    model.data = sci
    theirs = extract_tso_object(model, {"wavelengthrange": str(ranges)}).slits
    got = {str(s["slit_name"].values[0]): s.isel(slit=0) for s in ours}
    assert sorted(got) == sorted(s.name for s in theirs) == ["1", "2", "3", "4"]
    for slit in theirs:
        mine = got[slit.name]
        h, w = int(mine["ysize"]), int(mine["xsize"])
        box = tuple(int(mine[k]) for k in ("xstart", "ystart", "xsize", "ysize"))
        assert box == (slit.xstart, slit.ystart, slit.xsize, slit.ysize)
        np.testing.assert_array_equal(mine["sci"].values[:, :h, :w], slit.data)
        np.testing.assert_array_equal(mine["wavelength"].values[:h, :w], slit.wavelength)


@pytest.mark.parity
def test_jwst_pairs_short_wave_models_in_set_order(wfss, tmp_path):
    """jwst 3.0.0 pairs the field point's models (file order 7, 8, 9, 10) with the stripes
    in Python's set order (8, 9, 10, 7): its stripe 10 has stripe 9's wavelengths and stripe
    7 stripe 10's; spec2x gives each stripe its own model (docs/parity.md)."""
    pytest.importorskip("jwst")
    refs = _refs(wfss, tmp_path, short=True, labels=(10, 9, 8, 7))
    ours = dhs_wcs(_attrs(True), refs, shape=DHS_SHAPE)
    theirs = _jwst(_attrs(True), refs)
    rows = np.array([20.0, 60.0, 100.0, 140.0])  # stripes 10, 9, 8, 7
    x, one = np.full(4, 1000.0), np.ones(4)
    lam = np.asarray(ours(x, rows, one)[2])
    jwst_lam = np.asarray(theirs(x, rows, one)[2])
    assert list(theirs(x, rows, one)[4]) == [10, 9, 8, 7]
    np.testing.assert_array_equal(jwst_lam, lam[[1, 2, 3, 0]])
    assert np.all(np.diff(lam) < 0)  # each stripe its own (0.01 µm apart)
