"""A FITS image read on demand: indexing reads only the pixels it names.

A NIRSpec spectrograph flat is a (plane, 2048, 2048) cube of SCI, DQ and ERR
(250 MB for the PRISM); a NIRSpec IFU exposure needs its values on a tenth
of the detector, at two planes per pixel.  :func:`lazy_image` maps such an
image HDU (``numpy.memmap`` on the file, opened at the first read) and
:class:`LazyImage` indexing returns the named pixels in native byte order,
scaled as astropy scales them, so the rest of the file is never read or
converted.  Only plain uncompressed images are mapped: without scaling, or
an integer image with astropy's unsigned offset (``BZERO = 2**(bits - 1)``,
``BSCALE = 1``); anything else is left to the caller to read whole.

The file must not change while an image is mapped: spec2x's writers replace
files atomically (a new file under the name), which leaves a mapped one intact.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from astropy.io import fits

__all__ = ["LazyImage", "lazy_image"]

_BITPIX = {8: ">u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}


class LazyImage:
    """An image HDU on disk, read pixel by pixel as it is indexed.

    Attributes
    ----------
    shape : the image's NumPy shape.
    dtype : the dtype of what indexing returns (native byte order).
    """

    def __init__(
        self, path: str, offset: int, shape: tuple[int, ...], raw: str, dtype: Any, bzero: int
    ) -> None:
        self._args = (path, offset, shape, raw, dtype, bzero)
        self.shape = shape
        self.dtype = np.dtype(dtype)
        self._bzero = bzero
        self._map: np.memmap | None = None

    @property
    def ndim(self) -> int:
        """Number of axes."""
        return len(self.shape)

    def _mapped(self) -> np.memmap:
        if self._map is None:
            path, offset, shape, raw, _, _ = self._args
            self._map = np.memmap(path, dtype=raw, mode="r", offset=offset, shape=shape)
        return self._map

    def _convert(self, values: np.ndarray) -> np.ndarray:
        if self._bzero:
            return (values.astype(np.int64) + self._bzero).astype(self.dtype)
        return values.astype(self.dtype)

    def __getitem__(self, key: Any) -> np.ndarray:
        return self._convert(np.asarray(self._mapped()[key]))

    def take(self, indices: np.ndarray) -> np.ndarray:
        """The pixels at ``indices`` of the image flattened in C order (as ``ndarray.take``).

        One flat index per pixel reads about twice as fast as an index per axis.
        """
        return self._convert(self._mapped().reshape(-1)[indices])

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = self[...]
        return whole if dtype is None else whole.astype(dtype)

    def __reduce__(self) -> tuple[Any, ...]:
        return (LazyImage, self._args)


def lazy_image(hdu: Any, dtype: Any) -> LazyImage | None:
    """``hdu``'s data as a :class:`LazyImage` giving ``dtype``, or None when it cannot be mapped.

    Parameters
    ----------
    hdu : an image HDU of a FITS file opened from disk (its data not yet read).
    dtype : what indexing returns (float32 for SCI/ERR, uint32 for DQ).

    Returns
    -------
    None for a compressed or in-memory file, a scaled image other than the
    unsigned-integer offset, or a header astropy would read otherwise
    (``BLANK``, random groups): read those whole.
    """
    header = hdu.header
    info = hdu.fileinfo() or {}
    file = info.get("file")
    raw = _BITPIX.get(int(header.get("BITPIX", 0)))
    if (
        raw is None
        or not isinstance(hdu, (fits.ImageHDU, fits.PrimaryHDU))
        or file is None
        or file.compression
        or not isinstance(file.name, str)
        or "BLANK" in header
        or float(header.get("BSCALE", 1)) != 1.0
    ):
        return None
    bzero = header.get("BZERO", 0)
    bits = int(header["BITPIX"])
    if bzero and not (bits > 8 and int(bzero) == 2 ** (bits - 1)):
        return None
    naxis = int(header.get("NAXIS", 0))
    shape = tuple(int(header[f"NAXIS{i}"]) for i in range(naxis, 0, -1))
    if not shape:
        return None
    return LazyImage(file.name, int(info["datLoc"]), shape, raw, dtype, int(bzero))
