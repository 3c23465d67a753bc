"""Synthetic NIRCam and NIRISS WFSS references and exposures (once per session, per grism)."""

from __future__ import annotations

import pytest

from spec2x.synthetic.nircam_wfss_refs import write_nircam_wfss_references
from spec2x.synthetic.niriss_wfss_refs import write_niriss_wfss_references
from spec2x.synthetic.wfss import write_wfss_exposure

#: grism -> (instrument, the keyword holding the grism, the reference writer).
_GRISMS = {
    "GRISMR": ("NIRCAM", "PUPIL", write_nircam_wfss_references),
    "GRISMC": ("NIRCAM", "PUPIL", write_nircam_wfss_references),
    "GR150R": ("NIRISS", "FILTER", write_niriss_wfss_references),
    "GR150C": ("NIRISS", "FILTER", write_niriss_wfss_references),
}


@pytest.fixture(scope="session")
def wfss(tmp_path_factory):
    """grism -> {refs, rate, catalog, segmentation, scene}: 100 sources, the grism's references."""
    made = {}

    def make(grism: str = "GRISMR"):
        if grism not in made:
            instrument, key, write_refs = _GRISMS[grism]
            folder = tmp_path_factory.mktemp(f"wfss_{grism.lower()}")
            refs = write_refs(folder, grism)
            files = write_wfss_exposure(folder, refs, instrument=instrument, **{key: grism})
            made[grism] = {"refs": refs, **files}
        return made[grism]

    return make


@pytest.fixture(scope="session")
def grismr_cutouts(wfss, tmp_path_factory):
    """The GRISMR exposure after spec2x's assign_wcs and extract_2d (every fourth source), and
    a synthetic ``photom``: {files, wcs_refs, ids, exposure, cutouts, photom}."""
    from spec2x.io.fits import open_product
    from spec2x.io.references import open_reference
    from spec2x.io.source_catalog import read_source_catalog
    from spec2x.steps._extract_2d_grism import extract_grism
    from spec2x.steps.assign_wcs import assign_wcs
    from spec2x.synthetic.nircam_wfss_cal_refs import write_nircam_wfss_photom

    files = wfss("GRISMR")
    refs = {k: str(files["refs"][k]) for k in ("distortion", "filteroffset", "specwcs")}
    exposure = assign_wcs(open_product(files["rate"]), refs)
    ids = [int(i) for i in files["scene"].label[::4]]
    ranges = open_reference(files["refs"]["wavelengthrange"]).content
    tree = extract_grism(exposure, read_source_catalog(files["catalog"]), ranges, source_ids=ids)
    photom = write_nircam_wfss_photom(tmp_path_factory.mktemp("phot") / "photom.fits")
    return dict(files=files, wcs_refs=refs, ids=ids, exposure=exposure, cutouts=tree, photom=photom)


@pytest.fixture(scope="session")
def jwst_grismr(grismr_cutouts, tmp_path_factory):
    """jwst 3.0.0 on the same exposure and sources: AssignWcs, Extract2d, Photom, Extract1d
    (every reference overridden): {extract_2d, photom, extract_1d} results."""
    pytest.importorskip("jwst")
    import contextlib

    from jwst.assign_wcs import AssignWcsStep
    from jwst.extract_1d import Extract1dStep
    from jwst.extract_2d import Extract2dStep
    from jwst.photom import PhotomStep
    from jwst_offline import run_jwst_step

    c = grismr_cutouts
    files, tmp = c["files"], tmp_path_factory.mktemp("crds")
    out = {}
    with contextlib.chdir(files["rate"].parent):
        model = run_jwst_step(
            AssignWcsStep, str(files["rate"]), c["wcs_refs"], rest="N/A", tmp_path=tmp,
            sip_approx=False,
        )  # fmt: skip
        wavelengthrange = {"wavelengthrange": str(files["refs"]["wavelengthrange"])}
        out["extract_2d"] = run_jwst_step(
            Extract2dStep, model, wavelengthrange, tmp_path=tmp, source_ids=c["ids"]
        )
    photom = {"photom": str(c["photom"])}
    out["photom"] = run_jwst_step(PhotomStep, out["extract_2d"], photom, rest="N/A", tmp_path=tmp)
    out["extract_1d"] = run_jwst_step(Extract1dStep, out["photom"], {}, rest="N/A", tmp_path=tmp)
    return out


@pytest.fixture(scope="session")
def contam_scene(tmp_path_factory):
    """(grism, blocking filter, spectral slope) -> the overlapping-trace scene
    (:mod:`spec2x.synthetic.wfss_contam_scene`) after spec2x's assign_wcs and extract_2d (order
    1): {folder, refs, photom, files, exposure, cutouts, scene, ranges, catalog}."""
    from spec2x.io.fits import open_product
    from spec2x.io.references import open_reference
    from spec2x.io.source_catalog import read_segmentation_map, read_source_catalog
    from spec2x.steps._extract_2d_grism import extract_grism
    from spec2x.steps.assign_wcs import assign_wcs
    from spec2x.synthetic.nircam_wfss_cal_refs import write_nircam_wfss_photom
    from spec2x.synthetic.niriss_wfss_cal_refs import write_niriss_wfss_photom
    from spec2x.synthetic.wfss_contam_scene import write_contam_scene
    from spec2x.wfss_contam.scene import make_scene, read_direct_image

    made = {}

    def make(grism: str = "GRISMR", blocking: str | None = None, slope: float = 0.0):
        if (grism, blocking, slope) not in made:
            instrument, _, write_refs = _GRISMS[grism]
            folder = tmp_path_factory.mktemp(f"contam_{grism.lower()}")
            refs = write_refs(folder, grism)
            write_photom = (
                write_nircam_wfss_photom if instrument == "NIRCAM" else write_niriss_wfss_photom
            )
            photom = write_photom(folder / "photom.fits")
            files = write_contam_scene(
                folder, refs, photom, grism=grism, blocking=blocking, slope=slope
            )
            wcs_refs = {k: str(refs[k]) for k in ("distortion", "filteroffset", "specwcs")}
            exposure = assign_wcs(open_product(files["rate"]), wcs_refs)
            ranges = open_reference(refs["wavelengthrange"]).content
            catalog = read_source_catalog(files["catalog"])
            direct, direct_wcs = read_direct_image(files["direct"])
            made[grism, blocking, slope] = dict(
                folder=folder, refs=refs, wcs_refs=wcs_refs, photom=open_reference(photom),
                files=files, ranges=ranges, catalog=catalog, exposure=exposure,
                cutouts=extract_grism(exposure, catalog, ranges, extract_orders=[1]),
                scene=make_scene(direct, read_segmentation_map(files["segmentation"]), direct_wcs),
            )  # fmt: skip
        return made[grism, blocking, slope]

    return make
