"""The MIRI MRS detectors' dark region between the channels (the "pedestal").

jwst 3.0.0's badpix_selfcal subtracts the median of this region from each
exposure before combining them: a residual dark offset common to the frame.
"""

from __future__ import annotations

__all__ = ["PEDESTAL_BOXES"]

#: ``(y0, y1, x0, x1)`` array indices of the region, by DETECTOR (full-frame MRS data).
PEDESTAL_BOXES: dict[str, tuple[int, int, int, int]] = {
    "MIRIFUSHORT": (50, 974, 503, 516),
    "MIRIFULONG": (50, 974, 474, 507),
}
