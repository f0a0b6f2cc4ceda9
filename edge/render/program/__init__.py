"""The transformation chain as a program (url-spec §12, §14), one concept per module:

* `state` — `ImageState`, what expressions may read about the image;
* `named` — `expand_named` inlines `t_<name>` from the stored named transformations;
* `expressions` — `environment` (characteristics + variables, `fc` lazily) and `evaluate`;
* `resolve` — `resolve(component, env)` replaces every expression by its value;
* `interpreter` — `run(items, state, apply)`: `if_` blocks and `$` variables decide which
  components run.

The chain level (`edge.render.chain`) uses them only for chains that need them: a URL without
`t_`, `if_`, `$`, expressions or layers never enters this package.
"""

from .expressions import environment, evaluate
from .interpreter import run
from .named import MAX_NAMED_DEPTH, expand_named, parse_transformation
from .resolve import resolve
from .state import ImageState

__all__ = ["ImageState", "expand_named", "parse_transformation", "environment", "evaluate", "resolve", "run", "MAX_NAMED_DEPTH"]
