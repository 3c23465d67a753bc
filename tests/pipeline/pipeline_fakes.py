"""Stand-in step modules for testing the chain machinery on its own (fixture: fake_steps)."""

from __future__ import annotations

import dataclasses
import sys
import types

import numpy as np
import pytest
import xarray as xr

from spec2x import preflight, registry
from spec2x.datamodel import make_exposure
from spec2x.modes import MODES
from spec2x.steps._common import record_step

#: What the stand-in steps multiply the data by (others: 1).
FACTORS = {"flat_field": 0.5, "photom": 3.0}


def _stand_in(name, calls, failures):
    def from_chain(ds, ctx):
        calls.append((name, dict(ctx.params), ds))
        if name in failures:
            raise failures[name]
        if name == "resample_spec":
            out = ds.assign(sci=ds["sci"] + 100.0)
            out.attrs = {**ds.attrs, "DATAMODL": "SlitModel"}
        elif name == "cube_build":
            out = ds.assign(sci=ds["sci"] + 1000.0)
            out.attrs = {**ds.attrs, "DATAMODL": "IFUCubeModel"}
        elif name == "extract_1d":
            flux = ds["sci"].sum("y").rename(x="spectral")
            wave = np.linspace(5.0, 10.0, flux.sizes["spectral"])
            out = xr.Dataset(
                {"flux": flux.assign_attrs(units="Jy")},
                coords={"wavelength": ("spectral", wave, {"units": "um"})},
                attrs={**ds.attrs, "DATAMODL": "MultiSpecModel"},
            ).drop_vars("x", errors="ignore")
        elif name == "imprint_subtract":
            out = ds.assign(sci=ds["sci"] - len(ctx.members.get("imprint", ())))
        else:
            var = "sci" if "sci" in ds else "flux"
            out = ds.assign({var: ds[var] * FACTORS.get(name, 1.0)})
        return record_step(out, name)

    return from_chain


@pytest.fixture
def fake_steps(monkeypatch):
    """Replace every step by a stand-in that records its call.

    Returns the call log, a list of (step, params, input Dataset); set
    ``fake_steps.failures[name] = exc`` to make a step raise.
    """
    return install_fake_steps(monkeypatch)


def install_fake_steps(monkeypatch):
    """What the fixture ``fake_steps`` does, with any ``pytest.MonkeyPatch`` (outside pytest too)."""

    class Log(list):
        failures: dict = {}

    calls = Log()
    calls.failures = {}
    # the stand-ins calibrate every mode and need no reference files
    monkeypatch.setattr(preflight, "calibrated_exp_types", lambda: tuple(MODES))
    monkeypatch.setattr(preflight, "STEP_REFERENCES", {})
    for name, spec in registry.STEPS.items():
        modname = f"fake_spec2x_steps.{name}"
        module = types.ModuleType(modname)
        module.from_chain = _stand_in(name, calls, calls.failures)
        monkeypatch.setitem(sys.modules, modname, module)
        monkeypatch.setitem(registry.STEPS, name, dataclasses.replace(spec, module=modname))
    return calls


def exposure(exp_type="MIR_LRS-FIXEDSLIT", nint=0, value=2.0, name="jw_test_rate.fits"):
    """A small exposure Dataset."""
    shape = (nint, 4, 6) if nint else (4, 6)
    return make_exposure(
        np.full(shape, value, np.float32),
        attrs={"EXP_TYPE": exp_type, "INSTRUME": "MIRI", "DETECTOR": "MIRIMAGE", "FILENAME": name},
    )


def slitless_rate(folder):
    """``folder/jw01_rate.fits``: a small MIR_LRS-SLITLESS exposure for the command's tests."""
    from spec2x.io.fits import write_fits

    return write_fits(
        exposure("MIR_LRS-SLITLESS", name="jw01_rate.fits"), folder / "jw01_rate.fits"
    )


def run_cli(capsys, *args):
    """``spec2x ARGS...``: exit status, stdout and stderr."""
    from spec2x.cli import main

    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err
