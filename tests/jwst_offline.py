"""Run the official ``jwst`` pipeline offline, for parity tests.

jwst asks CRDS for every reference file it does not get as an override, and
for step parameters.  Here CRDS is pointed at an unreachable server and a
throw-away cache holding a stand-in ``server_config``, so a lookup that is
still needed fails at once (``CrdsDownloadError`` / ``CrdsLookupError``,
a fraction of a second) instead of hanging or downloading anything.

Usage (``tests/`` is on ``sys.path`` through ``tests/conftest.py``)::

    import pytest
    from jwst_offline import run_jwst_step, run_jwst_spec2

    @pytest.mark.parity
    def test_flat_parity(tmp_path):
        pytest.importorskip("jwst")
        from jwst.flatfield import FlatFieldStep

        result = run_jwst_step(FlatFieldStep, model, {"flat": flat_path}, rest="N/A")

- ``run_jwst_step(step_class, input, overrides, *, rest=None, **params)``:
  every reference type of the step must be in ``overrides`` (path or "N/A"),
  or give ``rest="N/A"`` to say "N/A" for the others.  Returns the result model.
- ``run_jwst_spec2(input_path, overrides, steps_params, output_dir)`` runs
  ``Spec2Pipeline`` with every reference type of every step overridden
  (types not in ``overrides`` become "N/A"; beware: jwst skips a step whose
  main reference is N/A, e.g. flat_field with ``flat`` N/A).  Returns a
  :class:`Spec2Run` with the result models and the files written by suffix.
- ``jwst_offline_env(tmp_path)`` is the context manager both use; use it
  directly to call other jwst code that might consult CRDS.  Nesting is fine.

What jwst 3.0.0 does offline (measured):

- ``Spec2Pipeline.run`` first prefetches every reference type of every step
  not skipped *by parameter* (Pipeline._precache_references), before its own
  exposure-type logic (``_step_verification``) skips steps: so MIRI LRS data
  still ask for barshadow, fringe, msaoper, cubepar ...  Each of those needs
  an override ("N/A" does), which ``run_jwst_spec2`` gives.  A step skipped
  by its ``skip`` parameter asks nothing, then or later.
- A step asks for all its types whatever the mode (FlatFieldStep: flat,
  fflat, sflat and dflat), hence ``rest="N/A"``.
- In a pipeline one override serves each reference type (the first
  unskipped step that overrides it wins).
- Every step records the CRDS context in its result (``finalize_result``):
  that needs the stand-in server configuration, and gives ``jwst_0000.pmap``
  (:data:`OFFLINE_CONTEXT`).  ``pars-*`` step parameter files are not looked
  up (``STPIPE_DISABLE_CRDS_STEPPARS=True``).
- A lookup left over fails in well under a second (connection refused,
  then ``CrdsDownloadError``); nothing hangs.
- stpipe calls ``gc.collect()`` after every step run: in a test process
  that has imported jwst that costs ~0.5 s a call (patch ``gc.collect`` when
  calling many steps, as tests/pipeline/test_pipeline_chain.py does).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["OFFLINE_CONTEXT", "Spec2Run", "jwst_offline_env", "run_jwst_spec2", "run_jwst_step"]

#: The (non-existent) CRDS context named in the stand-in server configuration.
OFFLINE_CONTEXT = "jwst_0000.pmap"

_SERVER_INFO = {
    "observatory": "jwst",
    "operational_context": OFFLINE_CONTEXT,
    "edit_context": OFFLINE_CONTEXT,
    "build_context": OFFLINE_CONTEXT,
    "mappings": [],
    "bad_files": "",
    "bad_files_list": [],
    "force_remote_mode": False,
    "last_synced": "2026-01-01 00:00:00",
    "crds_version": {"str": "offline"},
    "reference_url": {},
    "checksum_url": {},
    "download_metadata": {},
}


def _env(crds_path: Path) -> dict[str, str]:
    return {
        "STPIPE_DISABLE_CRDS_STEPPARS": "True",
        # https (not http) keeps crds from warning; the port refuses at once.
        "CRDS_SERVER_URL": "https://127.0.0.1:9",
        "CRDS_PATH": str(crds_path),
        "CRDS_CONTEXT": OFFLINE_CONTEXT,
        "CRDS_OBSERVATORY": "jwst",
        "CRDS_MODE": "local",
        "CRDS_CLIENT_RETRY_COUNT": "1",
        "CRDS_CLIENT_RETRY_DELAY_SECONDS": "0",
    }


_ACTIVE: list[Path] = []


@contextmanager
def jwst_offline_env(tmp_path: str | os.PathLike[str] | None = None) -> Iterator[Path]:
    """Set the environment so that jwst runs without CRDS; restore it on exit.

    Parameters
    ----------
    tmp_path : folder for the throw-away CRDS cache (a temporary one if None).

    Yields
    ------
    The CRDS_PATH in use.
    """
    if _ACTIVE:  # already offline: nested use
        yield _ACTIVE[-1]
        return
    with tempfile.TemporaryDirectory(prefix="crds_offline_") as scratch:
        crds_path = Path(tmp_path if tmp_path is not None else scratch) / "crds"
        config_dir = crds_path / "config" / "jwst"
        config_dir.mkdir(parents=True, exist_ok=True)
        (config_dir / "server_config").write_text(repr(_SERVER_INFO))
        new = _env(crds_path)
        saved = {k: os.environ.get(k) for k in new}
        os.environ.update(new)
        _ACTIVE.append(crds_path)
        try:
            yield crds_path
        finally:
            _ACTIVE.pop()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _reftypes(step_class: Any) -> list[str]:
    types = step_class.reference_file_types
    if not isinstance(types, list | tuple):  # a property (pipelines): ask an instance
        types = step_class().reference_file_types
    return list(dict.fromkeys(t.lower() for t in types))


def _override_kwargs(
    step_class: Any, overrides: Mapping[str, Any], rest: str | None
) -> dict[str, Any]:
    overrides = {k.lower(): v for k, v in overrides.items()}
    types = _reftypes(step_class)
    missing = [t for t in types if t not in overrides]
    if missing and rest is None:
        raise ValueError(
            f"{step_class.__name__} would ask CRDS for {', '.join(missing)}: give each in "
            "overrides (a path or 'N/A'), or rest='N/A'"
        )
    out = {}
    for t in types:
        value = overrides.get(t, rest)
        out[f"override_{t}"] = os.fspath(value) if isinstance(value, os.PathLike) else value
    return out


def run_jwst_step(
    step_class: Any,
    input_data: Any,
    overrides: Mapping[str, Any],
    *,
    rest: str | None = None,
    tmp_path: str | os.PathLike[str] | None = None,
    **params: Any,
) -> Any:
    """Run one jwst step offline and return its result model.

    Parameters
    ----------
    step_class : a jwst Step class (``jwst.flatfield.FlatFieldStep``).
    input_data : a datamodel or a file path.
    overrides : reftype -> path, datamodel or "N/A".
    rest : value for the step's reference types missing from ``overrides``
        (None: missing types are an error).
    tmp_path : folder for the throw-away CRDS cache.
    **params : step parameters (``inverse=True`` ...).
    """
    kwargs = _override_kwargs(step_class, overrides, rest)
    with jwst_offline_env(tmp_path):
        return step_class.call(input_data, **kwargs, **params)


@dataclass
class Spec2Run:
    """What :func:`run_jwst_spec2` gives back.

    Attributes
    ----------
    models : the result models ``Spec2Pipeline.call`` returned (cal/calints).
    files : product suffix (``cal``, ``s2d``, ``x1d``, ``s3d``, ``calints`` ...)
        -> path of the file written in ``output_dir``.
    """

    models: list[Any]
    files: dict[str, Path] = field(default_factory=dict)


def run_jwst_spec2(
    input_path: str | os.PathLike[str],
    overrides: Mapping[str, Any],
    steps_params: Mapping[str, Mapping[str, Any]] | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    **pipeline_params: Any,
) -> Spec2Run:
    """Run ``jwst.pipeline.Spec2Pipeline`` offline.

    Parameters
    ----------
    input_path : a rate/rateints file or a level-2 association.
    overrides : reftype -> path or "N/A"; every other reference type of every
        step is set to "N/A".
    steps_params : step name -> parameters (``{"bkg_subtract": {"skip": True}}``).
    output_dir : where products are written (``save_results=True``); None
        writes nothing.
    **pipeline_params : Spec2Pipeline parameters.
    """
    from jwst.pipeline import Spec2Pipeline

    steps: dict[str, dict[str, Any]] = {}
    for name, step_class in Spec2Pipeline.step_defs.items():
        sub_defs = getattr(step_class, "step_defs", None)
        cfg: dict[str, Any] = {}
        if not sub_defs:
            cfg.update(_override_kwargs(step_class, overrides, "N/A"))
        else:  # a pipeline inside the pipeline (master_background_mos): override its steps
            cfg["steps"] = {
                sub: _override_kwargs(sub_class, overrides, "N/A")
                for sub, sub_class in sub_defs.items()
            }
        for key, value in (steps_params or {}).get(name, {}).items():
            if key == "steps":
                for sub, sub_params in value.items():
                    cfg["steps"].setdefault(sub, {}).update(sub_params)
            else:
                cfg[key] = value
        steps[name] = cfg
    unknown = set(steps_params or {}) - set(steps)
    if unknown:
        raise ValueError(f"Spec2Pipeline has no step(s) {sorted(unknown)}")
    kwargs: dict[str, Any] = dict(pipeline_params)
    if output_dir is not None:
        kwargs.update(save_results=True, output_dir=os.fspath(output_dir))
    start = time.time()
    with jwst_offline_env():
        models = Spec2Pipeline.call(os.fspath(input_path), steps=steps, **kwargs)
    files: dict[str, Path] = {}
    if output_dir is not None:
        for path in sorted(Path(output_dir).iterdir()):
            if path.suffix == ".fits" and path.stat().st_mtime >= start - 1.0:
                files[path.stem.rsplit("_", 1)[-1]] = path
    return Spec2Run(list(models or []), files)


def jwst_lrs_flat_fielded(obs: Any, tmp_path: Path, name: str) -> tuple[Any, Path]:
    """jwst's assign_wcs and flat_field on a synthetic MIRI LRS observation's first exposure
    (its own references, the rest N/A); return the model and the file it is saved to."""
    from jwst.assign_wcs import AssignWcsStep
    from jwst.flatfield import FlatFieldStep

    refs = {k: str(v) for k, v in obs.references.items()}
    wcs_refs = {k: refs[k] for k in ("distortion", "specwcs")}
    model = run_jwst_step(
        AssignWcsStep, str(obs.exposures[0]), wcs_refs, rest="N/A", tmp_path=tmp_path
    )
    model = run_jwst_step(
        FlatFieldStep, model, {"flat": refs["flat"]}, rest="N/A", tmp_path=tmp_path
    )
    path = Path(tmp_path) / name
    model.save(path)
    return model, path
