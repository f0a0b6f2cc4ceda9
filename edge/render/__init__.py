"""The render engine: original bytes + a parsed `DeliveryRequest` -> an encoded derived asset.

Public API: `render`, `probe`, `Rendered`, `Limits`, `RenderError`, `LimitError`,
`FocusProvider`, `Region`, `FocusError`, `SaliencyFocus`.  Layout: engine.py (`render`),
geometry.py (crop-mode arithmetic), gravity.py (focus decisions), saliency.py (default
provider), source.py (probe, decode), spec.py (typed parameter values), pipeline.py + ops/
(the ordered steps of a component), chain.py (named transformations, conditionals, variables
and layers around them, with program.py and layers.py), encode.py + quality.py (output),
info.py (`fl_getinfo`), limits.py, rendered.py.
"""

from .deadline import RenderTimeout
from .engine import render
from .errors import LimitError, RenderError
from .focus import FocusError, FocusProvider, Region
from .limits import Limits
from .rendered import Rendered
from .saliency import SaliencyFocus
from .source import probe

__all__ = [
    "RenderTimeout",
    "render",
    "probe",
    "Rendered",
    "Limits",
    "RenderError",
    "LimitError",
    "FocusProvider",
    "Region",
    "FocusError",
    "SaliencyFocus",
]
