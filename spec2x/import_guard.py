"""Optional packages that the program's startup imports would load for nothing.

pandas (imported by xarray) imports pyarrow whenever it is installed, and
astropy.io.fits imports numcodecs (for its tile-compression codecs' base class);
both are optional to them, and neither is used by spec2x's FITS runs.  Together
they cost about 0.1 s of CPU at every start of ``spec2x run`` (pyarrow and
``pyarrow.compute`` ~0.07 s, numcodecs ~0.03 s).  :func:`held_off` makes them
unimportable while the program imports xarray and astropy.io.fits, then lets
them be imported again: Zarr, which needs numcodecs, imports it when a run
writes or reads Zarr.  Without them pandas keeps its strings as Python objects
(the products are the same), and astropy's tile-compression codecs, which
spec2x's files do not use, still work on a stand-in base class.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["UNUSED_OPTIONAL", "held_off"]

#: Packages the startup imports load only because they are installed.
UNUSED_OPTIONAL = ("pyarrow", "numcodecs")


@contextmanager
def held_off(names: tuple[str, ...] = UNUSED_OPTIONAL) -> Iterator[None]:
    """Inside, ``import`` of any of ``names`` not yet imported raises ``ImportError``
    (their importers then go without them, as when they are not installed); after,
    they import as usual.

    Parameters
    ----------
    names : tuple of str
        Top-level package names.
    """
    held = [name for name in names if name not in sys.modules]
    for name in held:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in held:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
