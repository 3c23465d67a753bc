"""Every reader, fed mutated files: a spec2x error naming the file, or a result; no hang, no write.

Seeds are small valid files (exposures, products, references, an
association, parameter files, a Zarr store); hypothesis mutates a copy of one
(keywords dropped or given values of the wrong type, extensions dropped,
renamed, reshaped or retyped, table columns dropped or retyped, structural
cards rewritten, bytes cut or garbled; nodes of JSON/YAML/ASDF trees dropped
or replaced) and the reader must pass :func:`fuzz_helpers.read_safely`.
``SPEC2X_FUZZ_EXAMPLES`` raises the number of examples for a longer hunt.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import asdf
import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from spec2x.datamodel import make_exposure
from spec2x.io import open_exposure, open_product, open_zarr, to_zarr, write_fits
from spec2x.io.association import read_association
from spec2x.io.references import open_reference
from spec2x.params import export_params, load_params
from spec2x.scale import jobs_from_inputs

sys.path.insert(0, str(Path(__file__).parent))
import fuzz_helpers as fz  # noqa: E402
import products  # noqa: E402

EXAMPLES = int(os.environ.get("SPEC2X_FUZZ_EXAMPLES", "8"))
fuzz = settings(
    max_examples=EXAMPLES,
    derandomize=EXAMPLES <= 8,
    deadline=None,  # a read that hangs is stopped by fuzz_helpers.time_limit
    suppress_health_check=list(HealthCheck),
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the drawn mutation is printed as is
    report_multiple_bugs=False,
)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    """Small valid files of every kind a reader takes."""
    from spec2x.synthetic.extract_refs import write_apcorr_miri_lrs, write_extract1d
    from spec2x.synthetic.miri_lrs_refs import (
        apcorr_table,
        extract_apertures,
        write_distortion,
        write_lrs_photom,
        write_pathloss,
        write_specwcs,
    )
    from spec2x.synthetic.nircam_wfss_refs import write_nircam_wfss_references
    from spec2x.synthetic.nirspec_cal_refs import write_fflat
    from spec2x.synthetic.nirspec_refs import write_disperser, write_wavelengthrange
    from spec2x.synthetic.nirspec_slit_refs import write_pathloss as write_nrs_pathloss
    from spec2x.synthetic.nirspec_slit_refs import write_wavecorr
    from spec2x.synthetic.pixel_refs import write_flat, write_pixel_area

    d = tmp_path_factory.mktemp("seeds")
    gen = np.random.default_rng(0)
    rate = make_exposure(
        gen.normal(1, 0.1, (16, 24)),
        attrs={"INSTRUME": "MIRI", "DETECTOR": "MIRIMAGE", "EXP_TYPE": "MIR_LRS-FIXEDSLIT"},
    )
    wave, size, apcorr = apcorr_table()
    miri = {"instrument": "MIRI", "detector": "MIRIMAGE", "shape": (16, 24)}
    out = {
        "rate": write_fits(rate, d / "s_rate.fits"),
        "rateints": write_fits(products.rateints(nint=2, ny=16, nx=24), d / "s_rateints.fits"),
        "cal": write_fits(products.slits(), d / "s_cal.fits"),
        "s2d": write_fits(products.s2d(), d / "s_s2d.fits"),
        "x1d": write_fits(products.x1d(nspec=20), d / "s_x1d.fits"),
        "x1dints": write_fits(products.x1dints(nint=2, nspec=10), d / "s_x1dints.fits"),
        "s3d": write_fits(products.cube(), d / "s_s3d.fits"),
        "flat": write_flat(
            d / "r_flat.fits",
            exp_type="MIR_LRS-FIXEDSLIT",
            **miri,
        ),
        "area": write_pixel_area(d / "r_area.fits", pixar_sr=2.8e-13, pixar_a2=0.0121, **miri),
        "photom": write_lrs_photom(d / "r_photom.fits"),
        "specwcs": write_specwcs(d / "r_specwcs.fits", "MIR_LRS-FIXEDSLIT"),
        "pathloss": write_pathloss(d / "r_pathloss.fits"),
        "apcorr": write_apcorr_miri_lrs(
            d / "r_apcorr.fits", wavelength=wave, size=size, apcorr=apcorr
        ),
        "extract1d": write_extract1d(
            d / "r_extract1d.json",
            extract_apertures(),
            instrument="MIRI",
            exp_type="MIR_LRS-FIXEDSLIT",
            detector="MIRIMAGE",
        ),
        "fflat": write_fflat(d / "r_fflat.fits", nelem=20),
        "nrs_pathloss": write_nrs_pathloss(d / "r_nrs_pathloss.fits", nwave=6, npos=5),
        "distortion": write_distortion(d / "r_distortion.asdf"),
        "wavecorr": write_wavecorr(d / "r_wavecorr.asdf", npoints=5),
        "disperser": write_disperser(d / "r_disperser.asdf", "G140M"),
        "wavelengthrange": write_wavelengthrange(d / "r_wavelengthrange.asdf"),
        **{f"grism_{k}": v for k, v in write_nircam_wfss_references(d / "grism").items()},
    }
    return out


def _fresh(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz", numbered=True)


# --------------------------------------------------------------------------- FITS

_EXPOSURES = ["rate", "rateints"]
_PRODUCTS = ["cal", "s2d", "x1d", "x1dints", "s3d"]
_FITS_REFS = {n: n for n in ("flat", "area", "photom", "specwcs", "pathloss", "apcorr", "fflat")}
_FITS_REFS["nrs_pathloss"] = "pathloss"


def _fuzz_fits(seed, read, data, tmp_path_factory):
    ops = data.draw(fz.fits_mutations(fz.fits_layout(seed)), label="mutation")
    path = fz.apply_fits(seed, ops, _fresh(tmp_path_factory) / seed.name)
    fz.read_safely(read, path, note=repr(ops))


@pytest.mark.parametrize("name", _EXPOSURES)
@fuzz
@given(data=st.data())
def test_open_exposure(seeds, tmp_path_factory, name, data):
    _fuzz_fits(seeds[name], open_exposure, data, tmp_path_factory)


@pytest.mark.parametrize("name", _PRODUCTS)
@fuzz
@given(data=st.data())
def test_open_product(seeds, tmp_path_factory, name, data):
    _fuzz_fits(seeds[name], open_product, data, tmp_path_factory)


@pytest.mark.parametrize("name", sorted(_FITS_REFS))
@fuzz
@given(data=st.data())
def test_fits_reference(seeds, tmp_path_factory, name, data):
    reftype = _FITS_REFS[name]
    _fuzz_fits(seeds[name], lambda p: open_reference(p, reftype), data, tmp_path_factory)


# --------------------------------------------------------------------------- ASDF


def _asdf_tree(path):
    with asdf.open(path, lazy_load=False, memmap=False) as af:
        return {k: v for k, v in af.tree.items() if not k.startswith("asdf_")}


def _write_asdf(tree, path):
    try:
        asdf.AsdfFile(tree).write_to(path)
    except Exception:  # asdf refuses the tree (a node it cannot serialise): nothing to read
        from hypothesis import assume

        assume(False)
    return path


_ASDF_REFS = ["distortion", "wavecorr", "disperser", "wavelengthrange"]
_GRISM_REFS = ["grism_specwcs", "grism_distortion", "grism_filteroffset", "grism_wavelengthrange"]


@pytest.mark.parametrize("name", _ASDF_REFS + _GRISM_REFS)
@fuzz
@given(data=st.data())
def test_asdf_reference(seeds, tmp_path_factory, name, data):
    seed = seeds[name]
    tree = _asdf_tree(seed)
    folder = _fresh(tmp_path_factory)
    if data.draw(st.booleans(), label="cut the bytes"):
        raw = seed.read_bytes()
        cut = data.draw(st.integers(0, len(raw) - 1), label="keep")
        path = folder / seed.name
        path.write_bytes(raw[:cut])
    else:
        ops = data.draw(fz.tree_mutations(tree), label="mutation")
        path = _write_asdf(fz.apply_tree(tree, ops), folder / seed.name)
    reftype = str(tree["meta"]["reftype"]).lower()
    fz.read_safely(lambda p: open_reference(p, reftype), path, note=repr(locals().get("ops")))


@pytest.mark.parametrize("name", ["s2d", "x1d", "cal"])
@fuzz
@given(data=st.data())
def test_product_spec2x_node(seeds, tmp_path_factory, name, data):
    """The ASDF extension of a product (its spec2x node) mutated."""
    from astropy.io import fits

    from spec2x.io.fits_asdf import asdf_hdu

    seed = seeds[name]
    with fits.open(seed, memmap=False) as hdul:
        raw = hdul["ASDF"].data["ASDF_METADATA"][0].tobytes()
    tree = _asdf_tree_bytes(raw)
    ops = data.draw(fz.tree_mutations(tree), label="mutation")
    mutated = fz.apply_tree(tree, ops)
    path = _fresh(tmp_path_factory) / seed.name
    with fits.open(seed, memmap=False) as hdul:
        hdul.readall()
        try:
            hdul["ASDF"] = asdf_hdu(mutated)
        except Exception:
            from hypothesis import assume

            assume(False)
        hdul.writeto(path)
    fz.read_safely(open_product, path, note=repr(ops))


def _asdf_tree_bytes(raw):
    import io

    with asdf.open(io.BytesIO(raw), lazy_load=False, memmap=False) as af:
        return {k: v for k, v in af.tree.items() if not k.startswith("asdf_")}


# --------------------------------------------------------------------------- JSON and YAML


def _association(folder):
    for n in ("a_rate.fits", "b_rate.fits"):
        (folder / n).write_bytes(b"SIMPLE")
    return {
        "asn_type": "spec2",
        "asn_pool": "pool.csv",
        "products": [
            {
                "name": "a",
                "members": [
                    {"expname": "a_rate.fits", "exptype": "science"},
                    {"expname": "b_rate.fits", "exptype": "background"},
                ],
            }
        ],
    }


def _read_asn(path):
    asn = read_association(path)
    return jobs_from_inputs([path]), asn.products


@fuzz
@given(data=st.data())
def test_association(tmp_path_factory, data):
    folder = _fresh(tmp_path_factory)
    tree = _association(folder)
    path = folder / "l2_asn.json"
    if data.draw(st.booleans(), label="any JSON"):
        text = json.dumps(data.draw(_JSON, label="json"))
    else:
        text = json.dumps(fz.apply_tree(tree, data.draw(fz.tree_mutations(tree), label="mutation")))
    path.write_text(text)
    fz.read_safely(_read_asn, path, note=text)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["products", "name", "members", "expname", "exptype"]),
            inner,
            max_size=3,
        )
    ),
    max_leaves=10,
)


@pytest.fixture(scope="module")
def params_seeds(tmp_path_factory):
    d = tmp_path_factory.mktemp("params")
    return {
        "yaml": export_params(d / "p.yaml"),
        "asdf": export_params(d / "p.asdf", {"flat_field": {"inverse": True}}),
    }


@pytest.mark.parametrize("fmt", ["yaml", "asdf"])
@fuzz
@given(data=st.data())
def test_parameter_file(params_seeds, tmp_path_factory, fmt, data):
    seed = params_seeds[fmt]
    tree = yaml.safe_load(seed.read_text()) if fmt == "yaml" else _asdf_tree(seed)
    ops = data.draw(fz.tree_mutations(tree), label="mutation")
    mutated = fz.apply_tree(tree, ops)
    path = _fresh(tmp_path_factory) / seed.name
    if fmt == "yaml":
        path.write_text(yaml.safe_dump(mutated))
    else:
        _write_asdf(mutated, path)
    fz.read_safely(load_params, path, note=repr(ops))


# --------------------------------------------------------------------------- Zarr


@pytest.fixture(scope="module")
def zarr_seed(tmp_path_factory):
    return Path(to_zarr(products.s2d(), tmp_path_factory.mktemp("zarr") / "s_s2d.zarr"))


@fuzz
@given(data=st.data())
def test_zarr_metadata(zarr_seed, tmp_path_factory, data):
    store = fz.copy_seed(zarr_seed, _fresh(tmp_path_factory))
    files = sorted(str(p.relative_to(store)) for p in store.rglob("zarr.json"))
    target = store / data.draw(st.sampled_from(files), label="metadata file")
    if data.draw(st.booleans(), label="cut the bytes"):
        raw = target.read_bytes()
        target.write_bytes(raw[: data.draw(st.integers(0, len(raw) - 1), label="keep")])
    else:
        tree = json.loads(target.read_text())
        ops = data.draw(fz.tree_mutations(tree), label="mutation")
        target.write_text(json.dumps(fz.apply_tree(tree, ops)))
    fz.read_safely(open_zarr, store, note=f"{target.relative_to(store)}: {locals().get('ops')}")


# --------------------------------------------------------------------------- found by the fuzzing
# Each of these ended in an internal error (a KeyError, TypeError ... from deep inside) before.


def _fits_case(name, ops, reader):
    def make(seeds, folder):
        return fz.apply_fits(seeds[name], ops, folder / seeds[name].name), reader

    return make


def _asdf_case(name, ops, reftype):
    def make(seeds, folder):
        path = _write_asdf(fz.apply_tree(_asdf_tree(seeds[name]), ops), folder / seeds[name].name)
        return path, lambda p: open_reference(p, reftype)

    return make


def _node_case(name, ops):
    def make(seeds, folder):
        from astropy.io import fits

        from spec2x.io.fits_asdf import asdf_hdu

        path = folder / seeds[name].name
        with fits.open(seeds[name], memmap=False) as hdul:
            hdul.readall()
            tree = _asdf_tree_bytes(hdul["ASDF"].data["ASDF_METADATA"][0].tobytes())
            hdul["ASDF"] = asdf_hdu(fz.apply_tree(tree, ops))
            hdul.writeto(path)
        return path, open_product

    return make


_FOUND = {
    "product without its ASDF column": (
        _fits_case("s2d", [("drop_column", 10, "ASDF_METADATA")], open_product),
        "not a readable jwst product",
    ),
    "corrupted extension header": (
        _fits_case("rate", [("raw_card", 1, "XTENSION", "'JUNK'")], open_exposure),
        "extension 1 .* is corrupted",
    ),
    "spec2x node with a bad dtype": (
        _node_case("s2d", [("set", ("spec2x", "dtypes", "sci"), 0)]),
        "not a readable jwst product",
    ),
    "reference with NAXIS but no NAXIS1": (
        _fits_case("fflat", [("raw_card", 0, "NAXIS", "7")], lambda p: open_reference(p, "fflat")),
        "not a readable reference file",
    ),
    "reference with GCOUNT as text": (
        _fits_case(
            "specwcs", [("set_key", 1, "GCOUNT", "N/A")], lambda p: open_reference(p, "specwcs")
        ),
        "not a readable specwcs reference",
    ),
    "ASDF reference whose meta is text": (
        _asdf_case("disperser", [("set", ("meta",), "N/A")], "disperser"),
        "ASDF 'meta' is a str, not a mapping",
    ),
    "wavecorr aperture without its offset": (
        _asdf_case("wavecorr", [("drop", ("apertures", 1, "zero_point_offset"))], "wavecorr"),
        "not a readable wavecorr reference",
    ),
}


@pytest.mark.parametrize("case", sorted(_FOUND))
def test_found_by_fuzzing(seeds, tmp_path, case):
    make, match = _FOUND[case]
    path, reader = make(seeds, tmp_path)
    message = fz.read_safely(reader, path)
    assert re.search(match, message), message


def test_found_by_fuzzing_zarr(zarr_seed, tmp_path):
    store = fz.copy_seed(zarr_seed, tmp_path)
    meta = store / "sci" / "zarr.json"
    tree = json.loads(meta.read_text())
    tree["chunk_grid"]["configuration"] = {"x": 0}
    meta.write_text(json.dumps(tree))
    assert "not a readable Zarr store" in fz.read_safely(open_zarr, store)


@pytest.mark.parametrize(
    ("tree", "match"),
    [
        ({"steps": [{"name": "resample_spec", "parameters": {"blendheaders": 0}}]}, "p.yaml: "),
        ({"steps": 3}, "'steps' is a int"),
        ({"steps": [], "parameters": 5}, "'parameters' must be a mapping"),
    ],
)
def test_found_by_fuzzing_parameter_file(tmp_path, tree, match):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(tree))
    assert match in fz.read_safely(load_params, path)


def test_found_by_fuzzing_association(tmp_path):
    tree = _association(tmp_path)
    tree["products"][0]["members"][0]["expname"] = True
    path = tmp_path / "l2_asn.json"
    path.write_text(json.dumps(tree))
    assert "'expname' is True" in fz.read_safely(_read_asn, path)


def test_found_by_fuzzing_parameter_file_yaml_error_is_one_line(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(": : :\n")
    assert "is it ASDF or YAML" in fz.read_safely(load_params, path)
