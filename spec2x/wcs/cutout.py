"""A WFSS cut-out's WCS kept as its few numbers, its gwcs made only when asked.

Each cut-out's WCS is the exposure's grism WCS after a ``grism_slit`` step
that shifts to the cut-out's corner and fixes the source position and order
(jwst's ``Mapping((0, 1, 0, 0, 0)) | Shift & Shift & Const1D & Const1D &
Const1D``, bounded by the cut-out).  A gwcs object of it holds about 46 kB of
astropy models; thousands of cut-outs are kept as :class:`CutoutWcs` instead:
the exposure's stored WCS and seven numbers.  extract_1d takes the source
positions and orders from the numbers (:mod:`spec2x.steps._extract_sky`), and
the ``_cal`` writer copies one cut-out's converted ASDF tree with each
cut-out's numbers in place (:func:`cutout_template`), so no gwcs per
cut-out is made on the way.
"""

from __future__ import annotations

from typing import Any

from .store import StoredWcs, copy_pipeline, wcs_to_text

__all__ = ["CutoutWcs", "Numbers", "cutout_template", "cutout_wcs"]

#: (x0, y0, x_source, y_source, order, ny, nx): the cut-out's 0-based corner on the detector
#: (pixels), the direct-image source position (pixels), the spectral order, the cut-out's shape.
Numbers = tuple[float, float, float, float, int, int, int]

#: Numbers of the template cut-out converted once per ``_cal``: found again in its ASDF tree
#: by value, so none equal to another number of that tree (never a real cut-out's).
_PROBE: Numbers = (
    0.5772156649015329,
    1.4142135623730951,
    2.718281828459045,
    3.141592653589793,
    7,
    7919,
    7907,
)


def _const(value: float) -> Any:
    from astropy.modeling.models import Const1D

    model = Const1D(value)
    model.inverse = Const1D(value)
    return model


def cutout_wcs(
    wcs: Any, corner: tuple[float, float], source: tuple[float, float, int], shape: tuple[int, int]
) -> Any:
    """One cut-out's WCS: cut-out pixel (x, y) -> world, the source and order fixed (jwst's).

    ``corner`` is the cut-out's 0-based (x, y) start on the detector (pixels),
    ``source`` the direct-image (x, y) pixel and spectral order, ``shape`` (ny, nx).
    """
    from astropy.modeling import bind_bounding_box
    from astropy.modeling.models import Mapping, Shift

    out = copy_pipeline(wcs)
    tr = Mapping((0, 1, 0, 0, 0)) | (
        Shift(corner[0])
        & Shift(corner[1])
        & _const(source[0])
        & _const(source[1])
        & _const(source[2])
    )
    ny, nx = shape
    bind_bounding_box(tr, ((-0.5, nx - 0.5), (-0.5, ny - 0.5)), order="F")
    frame = out.input_frame.__class__(
        name="grism_slit",
        axes_order=(0, 1),
        axes_names=out.input_frame.axes_names,
        unit=out.input_frame.unit,
    )
    out.insert_frame(input_frame=frame, output_frame=out.input_frame.name, transform=tr)
    return out


def _built(parent: Any, numbers: Numbers) -> Any:
    x0, y0, xc, yc, order, ny, nx = numbers
    return cutout_wcs(parent, (x0, y0), (xc, yc, order), (ny, nx))


def _leaves(numbers: Numbers) -> tuple[float, ...]:
    """The numbers a cut-out's ASDF tree holds: shifts, constants, bounding box upper ends."""
    x0, y0, xc, yc, order, ny, nx = numbers
    return (x0, y0, xc, yc, float(order), nx - 0.5, ny - 0.5)


class CutoutWcs(StoredWcs):
    """A cut-out's WCS as the exposure's stored WCS and the cut-out's :data:`Numbers`.

    :attr:`wcs` makes the gwcs each time it is asked (not kept: thousands of
    cut-outs); :attr:`text` likewise.  Equal to another cut-out of the same
    exposure WCS with the same numbers without making either.
    """

    __slots__ = ("numbers", "parent")

    def __init__(self, parent: StoredWcs, numbers: Numbers) -> None:
        super().__init__(text="")  # placeholder: neither object nor text is kept
        self._text = None
        self.parent = parent
        self.numbers = numbers

    def __reduce__(self) -> tuple[Any, ...]:
        return CutoutWcs, (self.parent, self.numbers)

    @property
    def wcs(self) -> Any:
        """A new gwcs of this cut-out (1-2 ms)."""
        return _built(self.parent.wcs, self.numbers)

    @property
    def text(self) -> str:
        return wcs_to_text(self.wcs)

    def __eq__(self, other: object) -> bool:
        if (
            isinstance(other, CutoutWcs)
            and other.numbers == self.numbers
            and (other.parent is self.parent or other.parent == self.parent)
        ):
            return True
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CutoutWcs({self.numbers})"


def cutout_template(parent: StoredWcs) -> Any:
    """The ASDF template of the cut-outs of ``parent`` (:class:`spec2x._asdf_fast.Template`):
    one probe cut-out converted, copied with each cut-out's numbers."""
    from .._asdf_fast import Template  # asdf imported where a tree is written

    wcs = parent.wcs
    return Template(lambda numbers: _built(wcs, numbers), _leaves, _PROBE)
