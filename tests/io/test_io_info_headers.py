"""``spec2x info`` of an exposure, slits or spectra file from its headers: the reader's description.

:func:`spec2x.io.info_headers.describe_headers` must give exactly what
:func:`spec2x.io.info.describe_dataset` gives of the Dataset
:func:`spec2x.io.fits.open_product` reads (variables, dtypes, units,
coords, steps, references, WCS), or decline (None) and leave the file to
the reader.
"""

from __future__ import annotations

import shutil

import products  # noqa: E402  (tests/io on sys.path through conftest)
import pytest

from spec2x.io.fits import open_product, write_fits
from spec2x.io.info import describe, describe_dataset
from spec2x.io.info_headers import describe_headers


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """rate, cal, s2d, x1d of an LRS fixed-slit nod; rateints, calints and x1dints of a
    3-integration LRS slitless series (its INT_TIMES table and spec2x node)."""
    from spec2x.pipeline import spec2
    from spec2x.synthetic.miri_lrs import make_lrs_fixedslit, make_lrs_slitless_tso

    out = tmp_path_factory.mktemp("info")
    fs = make_lrs_fixedslit(out / "fs", seed=4)
    tso = make_lrs_slitless_tso(out / "tso", seed=4, nints=3)
    found = {"rate": fs.exposures[0], "rateints": tso.exposures[0]}
    for obs in (fs, tso):
        refs = {k: str(v) for k, v in obs.references.items()}
        products = spec2(obs.exposures[0], refs)
        for suffix, ds in products.items():
            found[suffix] = write_fits(ds, out / f"{obs.exposures[0].stem}_{suffix}.fits")
    return found


@pytest.mark.parametrize("suffix", ["rate", "rateints", "cal", "calints", "s2d", "x1d", "x1dints"])
def test_an_exposure_or_spectra_from_headers_is_described_as_the_reader_reads_it(files, suffix):
    path = files[suffix]
    fast = describe_headers(path)
    assert fast is not None
    assert fast == describe_dataset(open_product(path))
    assert describe(path) == {**fast, "file": path.name, "format": "fits"}
    if suffix == "calints":
        assert fast["dims"] == {"integration": 3, "y": 416, "x": 72}
        assert any(c.startswith("int_times_") for c in fast["coords"])
        assert fast["wcs"] == "one"
        assert fast["arrays"]["dq"]["dtype"] == "uint32"
    if suffix == "s2d":  # a SlitModel: jwst's meta.wcs is the slit's own
        assert fast["kind"] == "slits"
        assert fast["wcs"] == "per slit"
        assert fast["dims"]["slit"] == 1
        assert "wcs" in fast["coords"]
    if suffix == "x1dints":
        assert fast["dims"]["integration"] == 3
        assert {"int_num", "wavelength"} <= set(fast["coords"])
        assert fast["arrays"]["flux"]["units"] == "Jy"


@pytest.mark.parametrize("build", [products.x1d, products.x1dints])
def test_spectra_of_several_slits_and_integrations_from_headers(build, tmp_path):
    """Two spectra, the second shorter (padded back by the reader); a spec2x x1dints."""
    path = write_fits(build(), tmp_path / f"{build.__name__}.fits")
    fast = describe_headers(path)
    assert fast is not None
    assert fast == describe_dataset(open_product(path))
    if build is products.x1d:
        assert fast["slits"] == ["S200A1", "S200A2"]
        assert fast["dims"] == {"slit": 2, "spectral": 50}


@pytest.mark.parametrize(
    "build",
    [products.slits, products.calints_slit, lambda: products.s2d(nslit=3)],
    ids=["cal_of_cut_outs", "calints_slit", "s2d_of_three"],
)
def test_slits_from_headers_are_described_as_the_reader_reads_them(build, tmp_path):
    """Cut-outs of different sizes (padded back by the reader), a slit with integrations,
    three resampled slits with a WCS each."""
    path = write_fits(build(), tmp_path / "slits_cal.fits")
    fast = describe_headers(path)
    assert fast is not None
    assert fast == describe_dataset(open_product(path))
    assert fast["kind"] == "slits"


def test_a_slits_file_jwst_wrote_without_the_node_is_described_as_read(tmp_path):
    """No spec2x node: the per-slit coords are the slit keywords present and those that
    differ (S_REGION, BUNIT); the WCS of each slit is in the tree's slits."""
    from astropy.io import fits

    path = write_fits(products.s2d(nslit=2), tmp_path / "s2d.fits")
    with fits.open(path) as hdul:
        for i, hdu in enumerate(h for h in hdul if h.name == "SCI"):
            hdu.header["S_REGION"] = f"POLYGON ICRS {i} 0 1 1"
            hdu.header["BUNIT"] = ("MJy", "MJy/sr")[i]
        hdul.writeto(tmp_path / "jwst_s2d.fits")
    bare = tmp_path / "jwst_s2d.fits"
    data = bare.read_bytes()
    node = data.index(b"spec2x:", data.index(b"#ASDF "))
    bare.write_bytes(data[:node] + b"x" + data[node + 1 :])  # spec2x: -> xpec2x: (no node)
    fast = describe_headers(bare)
    assert fast is not None
    assert fast == describe_dataset(open_product(bare))
    assert {"s_region", "bunit_data", "wcs"} <= set(fast["coords"])


def test_slits_in_padded_groups_are_left_to_the_reader(tmp_path):
    import numpy as np

    from spec2x.slits import groups
    from spec2x.synthetic.slit_layout import slit_layout

    tree = slit_layout(np.array([5, 30, 6, 40]), np.array([50, 300, 60, 20]), min_pixels=0)
    path = write_fits(tree, tmp_path / "grouped_cal.fits")
    assert describe_headers(path) is None
    assert len(describe(path)["groups"]) == len(groups(tree)) > 1


def test_a_text_column_in_spectra_is_left_to_the_reader(files, tmp_path):
    from astropy.io import fits

    odd = tmp_path / "text_x1d.fits"
    with fits.open(files["x1d"]) as hdul:
        table = hdul["EXTRACT1D"]
        names = fits.Column(name="NOTE", format="4A", array=["ab"] * len(table.data))
        hdul["EXTRACT1D"] = fits.BinTableHDU.from_columns(
            table.columns + names, header=table.header, name="EXTRACT1D"
        )
        hdul.writeto(odd)
    assert describe_headers(odd) is None
    assert "note" in describe(odd)["arrays"]


def test_a_truncated_or_absent_file_is_left_to_the_reader(files, tmp_path):
    cut = tmp_path / "cut_cal.fits"
    data = files["cal"].read_bytes()
    cut.write_bytes(data[: len(data) - 2880])
    assert describe_headers(cut) is None
    assert describe_headers(tmp_path / "absent_cal.fits") is None
    odd = tmp_path / "odd_cal.fits"
    shutil.copy(files["cal"], odd)
    with open(odd, "r+b") as f:
        f.write(b"SIMPLE  =                    F")  # not a standard FITS file
    assert describe_headers(odd) is None


def test_a_damaged_asdf_extension_is_left_to_the_reader(files, tmp_path):
    data = files["cal"].read_bytes()
    at = data.index(b"#ASDF ")
    start = data.index(b"\n", data.index(b"--- ", at)) + 1
    bad = tmp_path / "bad_yaml_cal.fits"
    bad.write_bytes(data[:start] + b"  [: {" + data[start + 6 :])  # not YAML any more
    assert describe_headers(bad) is None


def test_the_slits_wcs_are_marked_from_yaml_events_and_the_rest_read_whole():
    from spec2x.io.info_yaml import read_tree

    head = b"#ASDF 1.0.0\n%YAML 1.1\n%TAG ! tag:stsci.edu:asdf/\n--- !core/asdf-1.1.0\n"
    slits = (
        b"slits:\n- meta: {date: x, wcs: !<tag:stsci.edu:gwcs/wcs-1.2.0> {name: a, steps: []}}\n"
        b"- meta: {date: x, wcs: null}\n- name: S3\n- meta:\n    wcs: &w {name: b}\n"
        b"- meta: {wcs: *w}\n"
    )
    node = b"spec2x:\n  version: 1\n  attrs: {A: 1.5, B: true}\n"
    tree = read_tree(head + slits + node + b"...\n")
    marked = {"meta": {"wcs": True}}
    assert tree["slits"] == [marked, {}, {}, marked, marked]
    assert tree["spec2x"] == {"version": 1, "attrs": {"A": 1.5, "B": True}}
    across = head + b"top: &t {name: c}\n" + slits.replace(b"*w", b"*t") + node + b"...\n"
    whole = read_tree(across)  # an alias across the cut: the document is read whole
    assert whole["slits"][4] == {"meta": {"wcs": {"name": "c"}}}
    assert whole["slits"][1]["meta"]["wcs"] is None
