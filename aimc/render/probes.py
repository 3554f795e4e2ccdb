"""Health probes per engine, on the container port named `http`.

Chosen from what each engine really serves (`/health` on both), so that they keep working with an API key set
(a `/v1/models` probe then gets 401: vLLM guards every `/v1` path, SGLang every path but `/health*` and `/metrics`):

- vLLM's `/health` costs nothing and answers only once the model is loaded (before that connections are refused).
- SGLang's `/health` runs a one-token generation on every call unless `SGLANG_ENABLE_HEALTH_ENDPOINT_GENERATION=0`,
  which aimc sets (`ENGINE_ENV`); it then returns 503 while starting or shutting down and 200 otherwise.

The startup probe carries the model-sized budget (`sizing.startup_budget_seconds`); liveness and readiness start
when it succeeds, so they need no initial delay.
"""

from __future__ import annotations

from aimc.model.plan import ResolvedEngine
from aimc.render import sizing

HEALTH_PATH = {"vllm": "/health", "sglang": "/health"}
# Environment aimc sets for each engine (before the recipe's and the endpoint's, which win).
ENGINE_ENV = {"vllm": (), "sglang": (("SGLANG_ENABLE_HEALTH_ENDPOINT_GENERATION", "0"),)}

LIVENESS = {"periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 6}  # a minute of failures: restart
READINESS = {"periodSeconds": 5, "timeoutSeconds": 5, "failureThreshold": 3}


def probes(engine: ResolvedEngine, models=None) -> dict:
    """`startupProbe`, `livenessProbe` and `readinessProbe` of the engine's container."""
    get = {"httpGet": {"path": HEALTH_PATH[engine.engine], "port": "http"}}
    budget = sizing.startup_budget_seconds(engine, models)
    period = sizing.STARTUP_PERIOD_SECONDS
    return {
        "startupProbe": {**get, "periodSeconds": period, "timeoutSeconds": 5, "failureThreshold": budget // period},
        "livenessProbe": {**get, **LIVENESS},
        "readinessProbe": {**get, **READINESS},
    }
