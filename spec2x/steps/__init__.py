"""Calibration steps: one module per step, one public pure function per module.

Each step module also exposes ``from_chain(ds, ctx)``, the adapter the chain
runner (:mod:`spec2x.pipeline`) calls: it takes the references and
parameters the step needs out of a :class:`StepContext` and calls the pure
function.  Users call the pure functions directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import xarray as xr

from ..io.references import Reference, ReferenceSet

__all__ = ["StepContext"]


@dataclass(frozen=True)
class StepContext:
    """What the chain hands a step besides the data.

    Attributes
    ----------
    step : the step's name as jwst names it.
    refs : where reference files come from.
    params : this step's parameters (defaults already filled in).
    members : other association members by role (``"background"``,
        ``"imprint"``, ``"selfcal"``), already opened as Datasets.
    extra : anything else the runner knows (``"sourcecat"`` path, output dir).
    owns_input : the step may write its results into the pixel arrays of its
        input (the runner sets it when nothing else holds them:
        :mod:`spec2x.ownership`); a step that does not overwrite ignores it (extract_1d:
        the runner then lets go of each group of slits once its spectra are made).
    """

    step: str
    refs: ReferenceSet
    params: Mapping[str, Any] = field(default_factory=dict)
    members: Mapping[str, Sequence[xr.Dataset]] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    owns_input: bool = False

    def ref(self, reftype: str, ds: xr.Dataset) -> Reference | None:
        """The reference of ``reftype`` for ``ds``, or None where it is N/A (given as N/A,
        answered N/A by CRDS, or a type this mode can do without and the folder lacks)."""
        return self.refs.get(reftype, ds.attrs, self.step)

    def require_ref(self, reftype: str, ds: xr.Dataset) -> Reference:
        """The reference of ``reftype`` for ``ds``; N/A is an error."""
        return self.refs.require(reftype, ds.attrs, self.step)
