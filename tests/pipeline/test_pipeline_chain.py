"""Which steps run for each exposure type: a written table, and parity with jwst's Spec2Pipeline."""

from __future__ import annotations

import gc
import logging

import numpy as np
import pytest
from jwst_offline import jwst_offline_env

from spec2x.errors import UnsupportedModeError
from spec2x.pipeline import SPECTROSCOPIC_EXP_TYPES, chain_for
from spec2x.registry import STEPS

# fmt: off
EXPECTED = {
    "NRS_FIXEDSLIT": ["assign_wcs", "extract_2d", "srctype", "wavecorr", "flat_field", "pathloss",
                      "photom", "resample_spec", "extract_1d"],
    "NRS_BRIGHTOBJ": ["assign_wcs", "extract_2d", "srctype", "wavecorr", "flat_field", "photom",
                      "extract_1d"],
    "NRS_MSASPEC": ["assign_wcs", "msa_flagging", "extract_2d", "srctype", "master_background_mos",
                    "wavecorr", "flat_field", "pathloss", "barshadow", "photom", "resample_spec",
                    "extract_1d"],
    "NRS_IFU": ["assign_wcs", "msa_flagging", "srctype", "flat_field", "pathloss", "photom",
                "cube_build", "extract_1d"],
    "MIR_LRS-FIXEDSLIT": ["assign_wcs", "srctype", "flat_field", "pathloss", "photom",
                          "resample_spec", "extract_1d"],
    "MIR_LRS-SLITLESS": ["assign_wcs", "srctype", "flat_field", "photom", "extract_1d"],
    "MIR_MRS": ["assign_wcs", "srctype", "straylight", "flat_field", "fringe", "photom",
                "cube_build", "extract_1d"],
    "NIS_SOSS": ["assign_wcs", "bkg_subtract", "srctype", "flat_field", "pathloss", "extract_1d",
                 "photom"],
    "NIS_WFSS": ["assign_wcs", "bkg_subtract", "flat_field", "extract_2d", "srctype", "photom",
                 "extract_1d"],
    "NRC_WFSS": ["assign_wcs", "bkg_subtract", "flat_field", "extract_2d", "srctype", "photom",
                 "extract_1d"],
    "NRC_TSGRISM": ["assign_wcs", "flat_field", "extract_2d", "srctype", "photom", "extract_1d"],
}
# fmt: on

OPT_IN = [name for name, spec in STEPS.items() if spec.skipped_by_default]


@pytest.mark.parametrize("exp_type", sorted(EXPECTED))
def test_default_chain(exp_type):
    assert chain_for({"EXP_TYPE": exp_type}) == EXPECTED[exp_type]


def test_opt_in_steps_are_the_jwst_ones():
    assert sorted(OPT_IN) == sorted(
        ["badpix_selfcal", "clean_flicker_noise", "targ_centroid", "residual_fringe",
         "wfss_contam", "adaptive_trace_model", "pixel_replace"]
    )  # fmt: skip


def test_multi_integration_slit_modes_are_not_resampled():
    import xarray as xr

    ds = xr.Dataset({"sci": (("integration", "y", "x"), np.zeros((2, 3, 3)))})
    ds.attrs["EXP_TYPE"] = "NRS_FIXEDSLIT"
    assert "resample_spec" not in chain_for(ds)
    assert "resample_spec" not in chain_for({"EXP_TYPE": "NRS_FIXEDSLIT", "DATAMODL": "CubeModel"})
    assert chain_for(ds)[-1] == "extract_1d"


def test_members_and_opt_in_steps():
    on = {name: {"skip": False} for name in OPT_IN}
    chain = chain_for({"EXP_TYPE": "NRS_IFU"}, on, members={"background": ["b"], "imprint": ["i"]})
    assert chain[:6] == ["assign_wcs", "badpix_selfcal", "msa_flagging", "clean_flicker_noise",
                         "imprint_subtract", "bkg_subtract"]  # fmt: skip
    assert chain[-4:] == ["adaptive_trace_model", "pixel_replace", "cube_build", "extract_1d"]
    # imprint members mean nothing for MIRI; background members turn on bkg_subtract
    mrs = chain_for({"EXP_TYPE": "MIR_MRS"}, on, members={"background": ["b"], "imprint": ["i"]})
    assert "imprint_subtract" not in mrs
    assert "bkg_subtract" in mrs
    assert "residual_fringe" in mrs
    assert "clean_flicker_noise" not in mrs
    lrs = chain_for({"EXP_TYPE": "MIR_LRS-FIXEDSLIT"}, on)
    assert lrs.index("targ_centroid") == lrs.index("srctype") + 1


def test_user_skips():
    chain = chain_for({"EXP_TYPE": "MIR_MRS"}, {"cube_build": {"skip": True}})
    assert "cube_build" not in chain
    assert "extract_1d" not in chain
    chain = chain_for({"EXP_TYPE": "NRS_FIXEDSLIT"}, {"flat_field": {"skip": True}})
    assert "flat_field" not in chain
    assert "photom" in chain


def test_unsupported_exposure_type():
    with pytest.raises(UnsupportedModeError, match="MIR_IMAGE"):
        chain_for({"EXP_TYPE": "MIR_IMAGE", "FILENAME": "jw_rate.fits"})
    with pytest.raises(UnsupportedModeError, match="missing"):
        chain_for({})


# -- parity: jwst's own pipeline logic, with every step's work replaced by a recorder --------


def _jwst_chain(exp_type, multi_int=False, skip=None, members=()):
    """Steps jwst 3.0.0's Spec2Pipeline calls (not skipped) on a stand-in exposure."""
    from jwst.datamodels import ModelContainer
    from jwst.pipeline import Spec2Pipeline
    from stdatamodels.jwst import datamodels

    calls = []
    pipe = Spec2Pipeline()
    for name, value in (skip or {}).items():
        getattr(pipe, name).skip = value

    def fake(name):
        def process(*args):
            calls.append(name)
            model = args[0]
            if name == "extract_2d" and exp_type == "NRS_MSASPEC":
                out = datamodels.MultiSlitModel()
                out.update(model)
                slit = datamodels.SlitModel(np.zeros((2, 2), np.float32))
                slit.name, slit.quadrant = "1", 1
                out.slits.append(slit)
                model = out
            if name == "cube_build":
                model.meta.cal_step.cube_build = "COMPLETE"
                return ModelContainer([model])
            if not isinstance(model, ModelContainer):
                setattr(model.meta.cal_step, name, "COMPLETE")
            return model

        return process

    for name in pipe.step_defs:
        getattr(pipe, name).process = fake(name)
    pipe.save_model = lambda *a, **k: None
    pipe._extract_nirspec_msa_slits = lambda r: pipe.extract_1d.run(r)  # its slits are stand-ins
    shape = (2, 4, 4) if multi_int else (4, 4)
    cls = datamodels.CubeModel if multi_int else datamodels.ImageModel
    sci = cls(np.zeros(shape, np.float32))
    sci.meta.exposure.type = exp_type
    sci.meta.source_catalog = "cat.ecsv"
    mem = [{"expname": sci, "exptype": "science"}]
    for role in members:
        other = cls(np.zeros(shape, np.float32))
        other.meta.exposure.type = exp_type
        mem.append({"expname": other, "exptype": role})
    collect = gc.collect  # stpipe collects garbage after every step: 0.6 s each here
    gc.collect = lambda *args: 0
    try:
        with jwst_offline_env():
            pipe.process_exposure_product({"name": "x", "members": mem})
    finally:
        gc.collect = collect
    # jwst also runs some steps on members right after the science: count each once
    return [s for i, s in enumerate(calls) if i == 0 or calls[i - 1] != s]


CASES = [(et, False, None, ()) for et in SPECTROSCOPIC_EXP_TYPES]
CASES += [(et, True, None, ()) for et in SPECTROSCOPIC_EXP_TYPES]
CASES += [(et, False, dict.fromkeys(OPT_IN, False), ("background", "imprint"))
          for et in SPECTROSCOPIC_EXP_TYPES]  # fmt: skip
CASES += [
    ("MIR_MRS", False, {"cube_build": True, "photom": True}, ()),
    ("NIS_SOSS", False, {"photom": True, "flat_field": True}, ("background",)),
    ("NRS_MSASPEC", False, {"master_background_mos": True, "wavecorr": True}, ()),
    ("NIS_SOSS", True, {"extract_1d": True}, ()),
    ("NRS_FIXEDSLIT", False, {"resample_spec": True, "extract_2d": True}, ()),
]


@pytest.mark.parity
@pytest.mark.parametrize(("exp_type", "multi_int", "skip", "members"), CASES)
def test_chain_matches_jwst(exp_type, multi_int, skip, members):
    """chain_for agrees with the steps jwst's Spec2Pipeline calls.

    jwst calls resample_spec on multi-integration slit data, which then skips
    itself (3-D slits; for MIR_LRS-FIXEDSLIT rateints jwst 3.0.0 stops with a
    TypeError there): spec2x leaves resample_spec out of those chains.
    """
    pytest.importorskip("jwst")
    logging.getLogger("stpipe").setLevel(logging.WARNING)
    expected = _jwst_chain(exp_type, multi_int, skip, members)
    if multi_int:
        expected = [s for s in expected if s != "resample_spec"]
    params = {name: {"skip": value} for name, value in (skip or {}).items()}
    got = chain_for(
        {"EXP_TYPE": exp_type},
        params,
        members={role: ["member"] for role in members},
        multi_int=multi_int,
    )
    assert got == expected
