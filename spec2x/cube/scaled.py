"""Whether an output of composed astropy models is one of their inputs times constants.

A gwcs's links often carry a coordinate through unchanged but for a scale
(the NIRSpec IFU's slit-frame wavelength, m, is the world wavelength, µm,
times 1e6).  :func:`scaled_input` finds that from the models' tree: through
``|`` and ``&``, ``Mapping``/``Identity`` (which pass a value on) and
``Scale``/``Multiply`` (which multiply it by their factor); any other part
ends the search.  Multiplying the input by the factors in turn, ``factor *
value``, gives the numbers :mod:`spec2x.cube.fastmodel` (and astropy) give.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from astropy.modeling import CompoundModel
from astropy.modeling.functional_models import Multiply, Scale
from astropy.modeling.mappings import Mapping

__all__ = ["scaled_input"]

#: (input index, the factors in the order they multiply it)
Scaled = tuple[int, tuple[Any, ...]]


def scaled_input(models: Sequence[Any], output: int) -> Scaled | None:
    """Which input the output ``output`` of ``models`` (applied in turn) is, and its factors.

    Parameters
    ----------
    models : astropy models, the outputs of each the inputs of the next (a gwcs's links).
    output : index of the output.

    Returns
    -------
    ``(i, factors)``: the output is input ``i`` multiplied by each of ``factors`` in
    turn (``factors`` empty: the input itself); None when it is anything else.
    """
    index, factors = output, ()
    for model in reversed(models):
        found = _trace(model, index)
        if found is None:
            return None
        index, factors = found[0], found[1] + factors
    return index, factors


def _trace(model: Any, output: int) -> Scaled | None:
    if isinstance(model, CompoundModel):
        if model.op == "|":
            right = _trace(model.right, output)
            left = None if right is None else _trace(model.left, right[0])
            return None if left is None or right is None else (left[0], left[1] + right[1])
        if model.op == "&":
            if output < model.left.n_outputs:
                return _trace(model.left, output)
            right = _trace(model.right, output - model.left.n_outputs)
            return None if right is None else (right[0] + model.left.n_inputs, right[1])
        return None
    if len(model) != 1:
        return None
    if isinstance(model, Mapping):
        return model.mapping[output], ()
    if isinstance(model, (Scale, Multiply)) and model.factor.unit is None:
        return 0, (model.factor.value,)
    return None
