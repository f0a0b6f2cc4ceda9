"""Layers (`l_`, `u_`, `fl_layer_apply`, url-spec §11): `blocks` (the pure structure of a chain
with layer blocks) and `compose` (drawing a layer and compositing it on the base)."""

from .blocks import BLEND_MODES, ChainItem, LayerBlock, Placement, layer_chain, placement, structure
from .compose import apply_layer

__all__ = ["LayerBlock", "ChainItem", "structure", "apply_layer", "BLEND_MODES", "layer_chain", "placement", "Placement"]
