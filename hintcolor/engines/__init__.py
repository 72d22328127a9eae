"""The colorization engines behind one interface, and the one place where an engine is chosen.

An :class:`Engine` finds the colors (a*, b*) of a photo from its lightness and the user's hints:

- :class:`~hintcolor.engines.network.NetworkEngine` (``"siggraph17"``): the SIGGRAPH 2017 network
  (:mod:`.model`, its weights :mod:`.weights`); colors a photo without hints, suggests colors.
- :class:`~hintcolor.engines.propagation.PropagationEngine` (``"propagate"``): edge-aware propagation
  of the hints (:mod:`.propagation`); needs no weights, but at least one hint.

:func:`load_engine` chooses: the engine asked for, or for ``"auto"`` the network when its weights
are found, else propagation with a notice saying why. Everything else asks the engine what it can
do (:attr:`Engine.needs_hints`, :attr:`Engine.can_suggest`, :meth:`Engine.grid`), never which one it is.

The interface is in :mod:`.base`. This module imports neither PyTorch nor the engines themselves
(the command line reads :data:`ENGINES` before it needs them).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal, NamedTuple

from ..errors import InputError, WeightsError
from .base import Engine, Known, Options, Resize

if TYPE_CHECKING:
    import torch

__all__ = ["ENGINES", "Engine", "EngineName", "Known", "Loaded", "Options", "Resize", "load_engine", "options_used"]

EngineName = Literal["auto", "siggraph17", "propagate"]
#: The engine choices: ``"auto"`` (the network when its weights are found, else propagation) and each engine's name.
ENGINES = ("auto", "siggraph17", "propagate")


def options_used(choice: str) -> frozenset[str]:
    """The options (see :attr:`Engine.uses`) that the engine of ``choice`` reads; for ``"auto"``,
    those of every engine (either may run)."""
    from .network import NetworkEngine
    from .propagation import PropagationEngine

    return frozenset().union(*(engine.uses for engine in (NetworkEngine, PropagationEngine)
                               if choice in ("auto", engine.name)))


class Loaded(NamedTuple):
    """What :func:`load_engine` gives: the ``engine`` that runs; ``notice``, one line saying why it is
    not the one asked for (or None); ``weights_missing``: the network was asked for (``"auto"``) but its
    weights are not installed, so the propagation engine runs."""

    engine: Engine
    notice: str | None
    weights_missing: bool


def load_engine(choice: str, weights: str | os.PathLike | None, device: torch.device, dtype: torch.dtype) -> Loaded:
    """The engine for ``choice`` (one of :data:`ENGINES`): the one named, or for ``"auto"`` the network
    if its weights are found (``weights``, else where :func:`~hintcolor.engines.weights.find_weights`
    looks), else the propagation engine with a notice saying why. Missing weights are an error
    (:class:`WeightsError`) when the network is named, or ``weights`` given."""
    from .propagation import PropagationEngine

    if choice not in ENGINES:
        raise InputError(f"engine must be one of {', '.join(ENGINES)}, not {choice!r}")
    if choice == PropagationEngine.name:
        return Loaded(PropagationEngine(device, dtype), None, False)
    from .network import NetworkEngine
    from .weights import find_weights

    try:
        path = find_weights(weights)
    except WeightsError as e:
        if choice != "auto" or weights is not None:
            raise
        notice = f"{e}; meanwhile using the propagation engine, which spreads your hints (no network)"
        return Loaded(PropagationEngine(device, dtype), notice, True)
    return Loaded(NetworkEngine(path, device, dtype), None, False)
