"""Synthetic NIRCam DHS time series (long wave): keywords and a ``regions`` reference.

:data:`DHS_KEYWORDS` describe a ``SUB164STRIPE4_DHS`` NRCALONG exposure as
jwst 3.0.0's own DHS tests do: 164 x 2048 pixels holding four 40-row reads
of detector rows 972-1011, each after one reference row (``MSTR_RD1`` 1,
``MSTR_SK1`` 971, ``MSTR_RD2`` 40, ``MSTR_RPT`` 1).  :func:`write_dhs_regions`
writes the full-frame stripe map (``RegionsModel``): label 1 on the rows the
stripes read, 0 elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .base import asdf_meta
from .miri_lrs_refs import _write_asdf

__all__ = ["DHS_KEYWORDS", "DHS_SHAPE", "write_dhs_regions"]

#: (ny, nx) of one integration.
DHS_SHAPE = (164, 2048)

#: The subarray, multistripe and source keywords of the synthetic DHS exposure.
DHS_KEYWORDS: dict[str, Any] = dict(
    EXP_TYPE="NRC_TSGRISM",
    DETECTOR="NRCALONG",
    CHANNEL="LONG",
    MODULE="A",
    PUPIL="GRISMR",
    FILTER="F322W2",
    SUBARRAY="SUB164STRIPE4_DHS",
    SUBSTRT1=1,
    SUBSIZE1=DHS_SHAPE[1],
    SUBSTRT2=1,
    SUBSIZE2=DHS_SHAPE[0],
    FASTAXIS=-1,
    SLOWAXIS=2,
    NSUPSTRP=0,
    MSTR_RD1=1,
    MSTR_SK1=971,
    MSTR_RD2=40,
    MSTR_SK2=0,
    MSTR_RPT=1,
    MSTR_ILV=0,
    XREF_SCI=862.0,
    YREF_SCI=20.5,
)


def write_dhs_regions(path: str | os.PathLike[str], keywords: dict[str, Any] | None = None) -> Path:
    """Write the full-frame DHS ``regions`` (label 1 on the stripes' detector rows).

    Parameters
    ----------
    path : the ASDF file to write.
    keywords : the exposure's multistripe keywords (default :data:`DHS_KEYWORDS`).
    """
    k = DHS_KEYWORDS if keywords is None else keywords
    regions = np.zeros((2048, 2048))
    first = int(k["MSTR_RD1"]) + int(k["MSTR_SK1"])
    regions[first : first + int(k["MSTR_RD2"]), :] = 1
    meta = asdf_meta(
        "regions",
        "NIRCAM",
        exp_type="NRC_TSGRISM",
        description="synthetic NIRCam DHS stripe map (long wave)",
    )
    meta["subarray"] = {"name": str(k["SUBARRAY"])}
    meta["model_type"] = "RegionsModel"
    return _write_asdf(path, {"meta": meta, "regions": regions})
