"""The delivery-URL language of Edge (spec: ../shared/docs/url-spec.md).

Public API:
* `parse(path, *, cloud_name=None, root_path=False) -> DeliveryRequest` (raises `UrlError`);
* `canonical(request) -> str` (path without host and signature, SDK spelling and order) and
  `canonical_transformation(components) -> str` (the components part, for cache keys);
* `sign_path`, `verify_signature` (delivery URL `s--<sig>--`), `sign_api_params` (upload API);
* `expr.evaluate(expr, variables)` for the render engine (`expr.parse_expr` to build one);
* `UrlError` and the AST classes of `edge.url.ast`.

Modules: `path` (layout split), `component` (one component), `values` (per-key value parsers,
with `colors`, `gravity`, `effects`, `layers`, `expr`), `numeric` (checked number literals),
`formats` (known extensions), `grammar` (the Lark LALR grammar of
`grammar/delivery_url.lark`), `canonical`, `escape` (percent-escaping both ways), `signing`,
`cli`.
"""

from __future__ import annotations

from . import expr
from .ast import *  # noqa: F401,F403
from .ast import __all__ as _ast_all
from .canonical import canonical, canonical_transformation
from .errors import UrlError
from .parser import parse
from .signing import sign_api_params, sign_path, verify_signature

__all__ = [
    "parse",
    "canonical",
    "canonical_transformation",
    "sign_path",
    "verify_signature",
    "sign_api_params",
    "UrlError",
    "expr",
    *_ast_all,
]
