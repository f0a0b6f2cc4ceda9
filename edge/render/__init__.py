"""The render engine: original bytes + a parsed `DeliveryRequest` -> an encoded derived asset.

Public API: `render`, `probe`, `Rendered`, `Limits`, `RenderError`, `LimitError`,
`FocusProvider`, `Region`, `FocusError`, `SaliencyFocus`.

Layout, imports flowing one way (engine -> chain -> pipeline -> ops -> context; like
imgproxy's `ProcessImage` -> `mainPipeline.Run`, nothing calls back up):
* engine.py — `render`: URL limits, source header, the chain, the final output steps;
* chain.py — the chain level for `t_`/`if_`/`$`/expressions/layers, with program/ (named
  expansion, expressions, resolution, the interpreter) and layers/ (block structure,
  compositing); a plain chain never enters it;
* pipeline.py + ops/ — the ordered steps of one component;
* context.py (`Context`, `Inputs`, the megapixel meter) and frames.py (per-frame helpers);
* geometry.py (crop-mode arithmetic), gravity.py (every focus decision), focus.py (the
  FocusProvider protocol), saliency.py (default provider);
* source.py (probe, decode), spec.py (typed parameter values), cost.py (URL limits);
* encode.py (format, quality, encoders, `finalize`) + quality.py (`q_auto`), info.py
  (`fl_getinfo`), effects/ (the `e_` registry), limits.py, rendered.py, deadline.py, errors.py.
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
