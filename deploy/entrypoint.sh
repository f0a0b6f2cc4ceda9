#!/bin/sh
# Entry point of the Edge image.  `docker run edge-cdn:0.1.0 [flags]` runs `edge serve [flags]`;
# any other command (`python /app/deploy/s3_init.py ...`, `edge url sign ...`) runs as given.
# Settings come from EDGE_* variables (EDGE_WORKERS, EDGE_RENDER_THREADS, ...; the image sets
# defaults, compose / Kubernetes override them).  Render threads default to the CPUs of the
# container's cgroup quota (edge/server/settings.py `_cores`).
set -eu
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
    set -- edge serve "$@"
fi
if [ "$1" = edge ] && [ "${2:-}" = serve ]; then
    # Fail closed: signatures (add-ons under the default `addons`, everything under `all`) are
    # checked against EDGE_API_SECRET; an image started without one is a deployment mistake.
    if [ "${EDGE_SIGNED:-addons}" != none ] && [ -z "${EDGE_API_SECRET:-}" ]; then
        echo "edge: EDGE_API_SECRET is empty; set it (or EDGE_SIGNED=none to serve unsigned URLs only)" >&2
        exit 2
    fi
fi
exec "$@"
