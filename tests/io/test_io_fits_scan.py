"""The fast FITS scan reads headers, offsets and tables exactly as astropy does, or declines."""

from __future__ import annotations

import io
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from astropy.io import fits
from helpers import REALDATA
from hypothesis import given, settings
from hypothesis import strategies as st

from spec2x.io import fits as F
from spec2x.io import fits_images as I
from spec2x.io import open_exposure, write_fits
from spec2x.io.fits_asdf import plain_asdf_tree, read_asdf_tree
from spec2x.io.fits_scan import card_value, is_image_extension, scan_fits

sys.path.insert(0, str(Path(__file__).parent))
import products  # noqa: E402

REAL_FITS = sorted(REALDATA.glob("**/*.fits")) if REALDATA.is_dir() else []


def _typed(keyword, value):
    """A card's keyword and value with the value's type (1 != 1.0 != True, -0.0 != 0.0)."""
    return keyword, type(value).__name__, repr(value)


def assert_scan_matches_astropy(path, *, tables=False):
    """Every HDU: name, version, kind, every card (keyword, value, type), data offset/span, tables."""
    scanned = scan_fits(path, tables=tables)
    assert scanned is not None, f"{path}: the scan declined"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hdul = fits.open(path, memmap=False, lazy_load_hdus=False)
        with hdul:
            assert len(scanned) == len(hdul)
            for ours, theirs in zip(scanned, hdul, strict=True):
                assert (ours.name, ours.ver) == (theirs.name, theirs.ver)
                assert is_image_extension(ours) == isinstance(theirs, fits.ImageHDU)
                expected = [_typed(c.keyword, c.value) for c in theirs.header.cards]
                assert [_typed(*c) for c in ours.header.cards] == expected
                for key in ("NAXIS", "BITPIX", "EXTNAME", "NOT_THERE"):
                    assert _typed(key, ours.header.get(key)) == _typed(key, theirs.header.get(key))
                assert ours.fileinfo()["datLoc"] == theirs.fileinfo()["datLoc"]
                assert ours.fileinfo()["datSpan"] == theirs.fileinfo()["datSpan"]
                if isinstance(theirs, fits.BinTableHDU) and ours.data is not None:
                    assert list(ours.data.dtype.names) == list(theirs.data.names)
                    for name in theirs.data.names:
                        want = np.asarray(theirs.data[name])
                        np.testing.assert_array_equal(ours.data[name], want)
                        assert ours.data[name].dtype == want.dtype
    return scanned


def _astropy_value(image):
    """astropy's (keyword, value) of a card image, or the exception it raises or warns."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            card = fits.Card.fromstring(image)
            return _typed(card.keyword, card.value)
    except Exception as exc:
        return type(exc)


def _our_value(image):
    try:
        return _typed(*card_value(image))
    except Exception as exc:
        return type(exc)


def _card(text):
    return f"{text:<80}"[:80]


# ------------------------------------------------------------------ card values

ODD_CARDS = [
    "SIMPLE  =                    T / conforms to FITS standard",
    "FLAG    =                    F",
    "INT     =                  -42 / a comment",
    "PLUS    =                  +42",
    "ZEROS   =                 0007",
    "BIG     = 123456789012345678901234567890",
    "FLT     =                 1.25",
    "FLTD    =             1.25D-03 / D exponent",
    "FLTLOWD =             1.25d+03",
    "FLTLOWE =               2.5e10",
    "FLTE    =                 1E10 / no point, an exponent: a float",
    "DOT     =                   .5",
    "TRAIL   =                   1.",
    "NEGZERO =                 -0.0",
    "SPACED  =              1.0 E 5 / astropy reads spaces in numbers",
    "CPLX    = (1.5, -2.0) / complex",
    "CPLXI   = (1, 2)",
    "UNDEF   =",
    "UNDEFC  =                      / only a comment",
    "STR     = 'CubeModel'",
    "STRPAD  = 'ri.fits '           / trailing blanks go",
    "STRLEAD = '  leading'",
    "EMPTY   = ''",
    "EMPTYC  = '' / it''s a comment",
    "EMPTYQ  = '' / it's a comment",
    "EMPTYQ2 = '' / it' s",
    "EMPTYQ3 = '' / a'",
    "EMPTYQ4 = '' / a' / b",
    "STRQ    = 'x' / a' / b",
    "QUOTE   = 'it''s'",
    "QUOTES  = 'a'' / b'",
    "QUOTE3  = ''''",
    "COLON   = 'key: value'",
    "RVKC    = 'AXIS.1: 1'",
    "RVKCC   = 'AXIS.1: 1' / record-valued",
    "DP1     = 'NAXIS: 2'",
    "COMMSEP = 'x'/no space before the comment",
    "NOSEP   = 'x' y",
    "UNCLOSED= 'abc",
    "BADVAL  = abc",
    "TWOTOK  = 1 2",
    "TAB     = 'a\tb'",
    "COMMENT this is a comment card ' with a quote",
    "HISTORY   history text",
    "          blank keyword card",
    "",
    "lower   = 1",
    "KEY WITH= 1",
    "EQ=     = 1",
    "A='x'/  = 5",
    "A='x'   = 5",
    "AB=CDEFG= 5",
    "AB CD   = 5",
    "NOEQ      1",
    "HIERARCH ESO DET CHIP NAME = 'chip' / hierarch",
    "HIERARCH long.keyword.name = 3.5",
    "CONTINUE  'lonely'",
]


@pytest.mark.parametrize("text", ODD_CARDS)
def test_card_values_equal_astropys(text):
    image = _card(text)
    assert _our_value(image) == _astropy_value(image)


def test_long_string_continue_cards_equal_astropys(tmp_path):
    header = fits.Header()
    header["LONGSTR"] = "x" * 50 + " it's long: " + "y" * 100 + "  "
    header["AFTER"] = 1
    header["HIERARCH a.very.long.keyword"] = "value"
    header["LONGQ"] = "'" * 90
    header.add_comment("a comment " * 12)
    header.add_history("h")
    header.add_blank("")
    path = tmp_path / "long.fits"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits.PrimaryHDU(header=header).writeto(path)
    scanned = assert_scan_matches_astropy(path)
    assert scanned[0].header["LONGSTR"] == header["LONGSTR"].rstrip()
    assert scanned[0].header["AFTER"] == 1


printable = st.characters(min_codepoint=32, max_codepoint=126)
keywords = st.from_regex(r"[A-Z][A-Z0-9_-]{0,7}", fullmatch=True).filter(
    lambda k: k not in {"END", "COMMENT", "HISTORY", "CONTINUE", "HIERARCH"}
)
header_values = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(printable, max_size=100),
)


@settings(deadline=None, max_examples=40)
@given(
    cards=st.lists(
        st.tuples(keywords, header_values, st.text(printable, max_size=40)), min_size=1, max_size=12
    ),
    data=st.data(),
)
def test_header_values_equal_astropys(tmp_path_factory, cards, data):
    header = fits.Header()
    for key, value, comment in cards:
        header.append((key, value, comment), end=True)
    if data.draw(st.booleans()):
        header.add_comment(data.draw(st.text(printable, max_size=150)))
    path = tmp_path_factory.mktemp("hdr") / "h.fits"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits.HDUList(
            [fits.PrimaryHDU(header=header), fits.ImageHDU(np.arange(6, dtype=">i2").reshape(2, 3))]
        ).writeto(path)
    assert_scan_matches_astropy(path, tables=True)


value_fields = st.text(st.sampled_from(list("0123456789.+-EDed TF'/: (),aX=")), max_size=30)
odd_keywords = st.text(st.sampled_from(list("AZ09_- '/=a")), min_size=0, max_size=8)


@settings(deadline=None, max_examples=300)
@given(key=st.one_of(keywords, odd_keywords), field=value_fields)
def test_random_value_fields_read_as_astropy_reads_them(key, field):
    """Numbers, logicals, strings, quotes, comments in any mix: same value, or the same failure."""
    image = _card(f"{key:<8}= {field}")
    assert _our_value(image) == _astropy_value(image)


# ------------------------------------------------------------------ files


@pytest.mark.skipif(not REAL_FITS, reason="shared/realdata not found")
@pytest.mark.parametrize("path", REAL_FITS, ids=lambda p: p.name)
def test_real_reference_files_scan_as_astropy_reads_them(path):
    assert_scan_matches_astropy(path)


def _open_both(path, monkeypatch, chunks):
    """(fast path, astropy path) Datasets of one file."""
    assert F.plain_exposure_scan(path) is not None
    fast = open_exposure(path, chunks=chunks)
    with monkeypatch.context() as m:
        m.setattr(F, "plain_exposure_scan", lambda path: None)
        slow = open_exposure(path, chunks=chunks)
    return fast, slow


def _assert_same(a, b):
    xr.testing.assert_identical(a, b)
    assert list(a.attrs) == list(b.attrs)
    for name in a.variables:
        assert a[name].dtype == b[name].dtype, name
        assert a[name].attrs == b[name].attrs, name
        assert a[name].chunks == b[name].chunks, name


@pytest.mark.parametrize("chunks", [None, {"integration": 2}, "auto"])
def test_spec2x_rateints_fast_path_equals_astropy_path(tmp_path, monkeypatch, chunks):
    ds = products.rateints(nint=5, ny=6, nx=7).assign_attrs(
        LONGTEXT="z" * 120, QUOTED="it's: here", NANVAL=float("nan"), BUNIT="MJy"
    )
    path = write_fits(ds, tmp_path / "sx_rateints.fits")
    assert_scan_matches_astropy(path, tables=True)
    fast, slow = _open_both(path, monkeypatch, chunks)
    _assert_same(fast, slow)
    xr.testing.assert_identical(fast, ds.assign_attrs(FILENAME=path.name, DATAMODL="CubeModel"))
    if chunks is not None:
        eager = open_exposure(path)
        xr.testing.assert_identical(fast, eager)
        assert fast["sci"].data.name == open_exposure(path, chunks=chunks)["sci"].data.name


def test_jwst_written_files_fast_path_equals_astropy_path(tmp_path, monkeypatch):
    dm = pytest.importorskip("stdatamodels.jwst.datamodels")
    rng = np.random.default_rng(7)
    models = {}
    rate = dm.ImageModel((9, 11))
    rate.meta.subarray.xstart, rate.meta.subarray.ystart = 5, 17
    rate.meta.exposure.type = "MIR_LRS-FIXEDSLIT"
    models["rate"] = rate
    cube = dm.CubeModel((4, 9, 11))
    columns = ["integration_number"] + [
        f"int_{t}_{s}" for s in ("MJD_UTC", "BJD_TDB") for t in ("start", "mid", "end")
    ]
    cube.int_times = np.zeros(4, dtype=[(c, "i4" if c[0] == "i" else "f8") for c in columns])
    cube.int_times["integration_number"] = np.arange(1, 5)
    cube.int_times["int_mid_MJD_UTC"] = 60000.0 + np.arange(4) / 7
    models["rateints"] = cube
    cal = dm.ImageModel((9, 11))
    cal.wavelength = rng.uniform(5, 12, (9, 11)).astype(np.float32)
    cal.meta.cal_step.flat_field = "COMPLETE"
    models["cal"] = cal
    for name, model in models.items():
        model.data = rng.normal(size=model.data.shape).astype(np.float32)
        model.dq = rng.integers(0, 2**32, model.data.shape, dtype=np.uint64).astype(np.uint32)
        model.meta.instrument.name = "MIRI"
        model.meta.observation.date = "2024-01-01"
        path = tmp_path / f"jw_{name}.fits"
        model.save(path)
        assert_scan_matches_astropy(path, tables=True)
        chunks = {"integration": 3} if name == "rateints" else {"y": 4}
        for c in (None, chunks):
            fast, slow = _open_both(path, monkeypatch, c)
            _assert_same(fast, slow)
        np.testing.assert_array_equal(fast["dq"].values, model.dq)


def test_asdf_node_with_inline_arrays_is_plain_a_wcs_goes_through_asdf(tmp_path, monkeypatch):
    ds = products.rateints(nint=2, ny=4, nx=5)
    ds = ds.assign_coords(extra=("integration", np.array([0.5, 1.5])))  # ndarray in the node
    path = write_fits(ds, tmp_path / "arr.fits")
    raw = scan_fits(path)["ASDF"].data["ASDF_METADATA"][0].tobytes()
    extra = plain_asdf_tree(raw)["spec2x"]["coords"]["extra"]["data"]  # inline: read as NumPy
    np.testing.assert_array_equal(extra, [0.5, 1.5])
    fast, slow = _open_both(path, monkeypatch, None)
    _assert_same(fast, slow)
    cube = write_fits(products.cube(), tmp_path / "cube.fits")  # a gwcs in the tree
    assert plain_asdf_tree(scan_fits(cube)["ASDF"].data["ASDF_METADATA"][0].tobytes()) is None


def test_plain_asdf_tree_equals_asdfs(tmp_path):
    import asdf

    ds = products.rateints(nint=2, ny=4, nx=5).assign_attrs(
        NANVAL=float("nan"), NESTED={"a": [1, 2.5, None], "b": "2024-01-01"}, DATE="2024-01-01"
    )
    path = write_fits(ds, tmp_path / "plain.fits")
    scanned = scan_fits(path)
    raw = scanned["ASDF"].data["ASDF_METADATA"][0].tobytes()
    plain = plain_asdf_tree(raw)
    assert plain is not None
    with asdf.open(io.BytesIO(raw), memmap=False) as af:
        node = af.tree["spec2x"]
        assert repr(plain["spec2x"]) == repr(node)
    tree = read_asdf_tree(scanned)
    assert tree["spec2x"]["attrs"]["NESTED"] == {"a": [1, 2.5, None], "b": "2024-01-01"}


_ASDF_HEAD = b"#ASDF 1.0.0\n#ASDF_STANDARD 1.6.0\n%YAML 1.1\n%TAG ! tag:stsci.edu:asdf/\n"


@pytest.mark.parametrize(
    "body",
    [
        b"x: !core/ndarray-1.1.0 {data: [a, b], datatype: [ucs4, 1], shape: [2]}",
        b"x: !core/ndarray-1.1.0 {data: [1, 2], datatype: int64, shape: [2], strides: [8]}",
        b"x: !core/ndarray-1.1.0 {source: 0, datatype: int64, shape: [2]}",
        b"x: !core/ndarray-1.1.0 {source: 'fits:SCI,1', data: [1], shape: [1]}",
        b"x: !core/complex-1.0.0 1+2j",
        b"x: !wcs/wcs-1.2.0 {name: w}",
        b"x: !!omap [{a: 1}]",
    ],
)
def test_trees_with_other_tags_are_left_to_asdf(body):
    raw = _ASDF_HEAD + b"--- !core/asdf-1.1.0\n" + body + b"\n...\n"
    assert plain_asdf_tree(raw) is None
    assert plain_asdf_tree(raw.replace(body, b"x: 1")) == {"x": 1}


@pytest.mark.parametrize(
    "values",
    [np.arange(3, dtype=">i2"), np.array([[1.5, np.nan], [-np.inf, 2.0]]), np.array([True])],
)
def test_inline_arrays_read_as_asdf_reads_them(values):
    import asdf

    buf = io.BytesIO()
    asdf.AsdfFile({"x": values}).write_to(buf, all_array_storage="inline")
    plain = plain_asdf_tree(buf.getvalue())
    with asdf.open(io.BytesIO(buf.getvalue()), memmap=False) as af:
        theirs = np.array(af.tree["x"])
    assert type(plain["x"]) is np.ndarray
    assert plain["x"].dtype == theirs.dtype.newbyteorder("=")
    np.testing.assert_array_equal(plain["x"], theirs)


def test_jwst_tree_with_fits_array_references_is_plain(tmp_path):
    import asdf

    dm = pytest.importorskip("stdatamodels.jwst.datamodels")
    model = dm.ImageModel((5, 6))
    model.meta.instrument.name = "MIRI"
    model.add_history_entry("a step ran")
    path = tmp_path / "jw_rate.fits"
    model.save(path)
    raw = scan_fits(path)["ASDF"].data["ASDF_METADATA"][0].tobytes()
    plain = plain_asdf_tree(raw)
    assert plain is not None
    assert plain["data"]["source"] == "fits:SCI,1"
    assert plain["history"]["entries"][0]["description"] == "a step ran"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with asdf.open(io.BytesIO(raw), memmap=False, lazy_load=True) as af:
            assert plain["meta"] == af.tree["meta"]
            assert plain["_fits_hash"] == af.tree["_fits_hash"]


# ------------------------------------------------------------------ data by offset


def _scaled_hdus(rng):
    shape = (5, 3, 4)
    hdus = [fits.ImageHDU(rng.integers(0, 200, shape).astype(np.uint8), name="U1")]
    for kind in ("i2", "i4", "i8", "u2", "u4", "u8"):
        info = np.iinfo(kind)
        data = rng.integers(info.min, info.max, shape, dtype=kind, endpoint=True)
        hdus.append(fits.ImageHDU(data, name=kind.upper()))
    for kind in ("f4", "f8"):
        data = rng.normal(size=shape).astype(kind)
        data.flat[::7] = np.nan
        hdus.append(fits.ImageHDU(data, name=kind.upper()))
    scaled = fits.ImageHDU(rng.uniform(-50, 50, shape).astype(np.float32), name="SCALED")
    scaled.scale("int16", bscale=0.25, bzero=10.0)
    hdus.append(scaled)
    return hdus


def test_slabs_read_what_astropy_reads(tmp_path):
    rng = np.random.default_rng(3)
    path = tmp_path / "kinds.fits"
    fits.HDUList([fits.PrimaryHDU(), *_scaled_hdus(rng)]).writeto(path)
    scanned = scan_fits(path)
    with fits.open(path) as hdul:
        for hdu in scanned:
            if hdu.kind != "image":
                continue
            want = hdul[hdu.name].data
            slab = I.HDUSlab(path, hdu, I.image_dtype(hdu.header))
            for key in (Ellipsis, slice(1, 4), 2, (slice(0, 5, 2), 1), slice(3, 3)):
                got = slab[key]
                np.testing.assert_array_equal(got, want[key], err_msg=f"{hdu.name} {key}")
                assert got.dtype == want.dtype.newbyteorder("="), hdu.name
                assert got.dtype.isnative
    lazy = I.read_image(
        path,
        scanned["U4"],
        ("integration", "y", "x"),
        {"integration": (2, 3), "y": (3,), "x": (1, 3)},
    )
    np.testing.assert_array_equal(lazy.compute(), fits.getdata(path, "U4"))
    with open(path, "r+b") as f:
        f.truncate(scanned["SCALED"].data_offset + 10)
    with pytest.raises(F.InputFileError, match="truncated"):
        I.HDUSlab(path, scanned["SCALED"], np.float32)[...]


# ------------------------------------------------------------------ declines


def _declines(path):
    assert scan_fits(path) is None
    assert F.plain_exposure_scan(path) is None


def test_scan_declines_what_astropy_must_read(tmp_path):
    good = write_fits(products.rateints(nint=2, ny=4, nx=5), tmp_path / "good.fits")
    raw = good.read_bytes()

    (tmp_path / "text.fits").write_text("not a FITS file\n" * 300)
    _declines(tmp_path / "text.fits")
    _declines(tmp_path / "missing.fits")
    _declines(tmp_path)

    (tmp_path / "cut.fits").write_bytes(raw[: len(raw) - 5000])
    _declines(tmp_path / "cut.fits")
    (tmp_path / "cut_header.fits").write_bytes(raw[:4000])
    _declines(tmp_path / "cut_header.fits")
    (tmp_path / "trailing.fits").write_bytes(raw + b"\0" * 100)
    _declines(tmp_path / "trailing.fits")
    at = raw.index(b"'NIRSPEC") + 1
    (tmp_path / "latin1.fits").write_bytes(raw[:at] + b"\xe9" + raw[at + 1 :])
    _declines(tmp_path / "latin1.fits")
    end = raw.index(b"END" + b" " * 77)
    (tmp_path / "badend.fits").write_bytes(raw[:end] + b"END     x" + raw[end + 9 :])
    _declines(tmp_path / "badend.fits")

    data = np.arange(64, dtype=np.float32).reshape(8, 8)
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(data, name="SCI")]).writeto(
        tmp_path / "comp.fits"
    )
    _declines(tmp_path / "comp.fits")
    ascii_table = fits.TableHDU.from_columns([fits.Column(name="a", format="I5", array=[1, 2])])
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(data, name="SCI"), ascii_table]).writeto(
        tmp_path / "ascii.fits"
    )
    _declines(tmp_path / "ascii.fits")
    strings = fits.BinTableHDU.from_columns([fits.Column(name="s", format="4A", array=["ab"])])
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(data, name="SCI"), strings]).writeto(
        tmp_path / "strings.fits"
    )
    _declines(tmp_path / "strings.fits")
    assert scan_fits(tmp_path / "strings.fits", tables=False) is not None


@pytest.mark.parametrize("kind", ["slits", "s2d_multi", "x1d", "cube", "calints_slit"])
def test_other_products_keep_the_astropy_path(tmp_path, kind):
    path = write_fits(products.PRODUCTS[kind](), tmp_path / f"{kind}.fits")
    assert F.plain_exposure_scan(path) is None


def test_no_sci_declines_and_astropy_reports_it(tmp_path):
    path = tmp_path / "nosci.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros((3, 3)), name="ERR")]).writeto(path)
    assert scan_fits(path) is not None
    assert F.plain_exposure_scan(path) is None
    with pytest.raises(F.InputFileError, match="no SCI extension"):
        open_exposure(path)
