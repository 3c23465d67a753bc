"""What a product says about how it was made: jwst's provenance keywords, as spec2x sets them.

Every product :func:`spec2x.pipeline.spec2` returns (and every step output
``--save-steps`` writes) carries, besides the input's own keywords:

========== ================================================================
keyword    value
========== ================================================================
CAL_VER    spec2x's version: the software that calibrated it (jwst writes its
           own version there; the input's stage-1 version is replaced).
SPEC2XV    spec2x's version again, a keyword no jwst product has, so a
           spec2x product can always be told apart.
DATE       when spec2x made the product (UTC, ISO 8601), as jwst's DATE.
CRDS_CTX   the CRDS context the references were selected with (the cache's
           ``.pmap`` with ``CRDS_PATH``); ``N/A`` when they came from a folder
           or explicit paths (no CRDS selection was made).
S_*        each step's status, as jwst records it: ``COMPLETE`` by a step that
           ran (or ``SKIPPED`` when it found nothing to do), ``SKIPPED`` for
           every other step of the mode's chain (``--skip``, or skipped by
           default as in jwst).
R_*        each reference a step used (its file name), written by the step.
========== ================================================================
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import xarray as xr

from .step_spec import SKIP_NOT_RECORDED
from .steps._common import STATUS_KEYWORDS

__all__ = ["product_keywords", "stamp"]

Product = TypeVar("Product", xr.Dataset, xr.DataTree)


def _version() -> str:
    from . import __version__

    return __version__


def product_keywords(
    *, crds_context: str | None = None, now: _dt.datetime | None = None
) -> dict[str, str]:
    """``CAL_VER``, ``SPEC2XV``, ``DATE`` and ``CRDS_CTX`` of a product made now."""
    when = now if now is not None else _dt.datetime.now(_dt.UTC)
    return {
        "CAL_VER": _version(),
        "SPEC2XV": _version(),
        "DATE": when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
        "CRDS_CTX": crds_context or "N/A",
    }


def stamp(
    product: Product,
    keywords: Mapping[str, Any],
    skipped: Iterable[str] = (),
) -> Product:
    """``product`` with the provenance ``keywords`` and ``S_* = 'SKIPPED'`` for ``skipped``
    steps (a status a step recorded itself is kept; none for the steps of
    :data:`spec2x.step_spec.SKIP_NOT_RECORDED`, as jwst).  The input is not changed."""
    attrs = dict(product.attrs)
    attrs.update(keywords)
    for step in skipped:
        if step not in SKIP_NOT_RECORDED:
            attrs.setdefault(STATUS_KEYWORDS[step], "SKIPPED")
    out = product.copy(deep=False)
    out.attrs = attrs
    return out
