"""Health probes per engine, on the container port named `http`.

Chosen from what each engine really serves, so that they keep working with an API key set (`--api-key`,
`VLLM_API_KEY`): a `/v1/models` probe would get 401. vLLM's key middleware guards only paths under `/v1`; SGLang
0.5.5.post3's (`add_api_key_middleware`) lets every path starting with `/health` or `/metrics` through; a
`tcpSocket` probe sends no request at all. `KEY_FREE_PREFIXES` records this and the tests hold the probes to it.

- vLLM's `/health` costs nothing and answers only once the model is loaded (before that connections are refused):
  all three probes use it.
- SGLang 0.5.5.post3's `/health` (the same handler as `/health_generate`) submits a one-token generation on every
  call and waits for it (polling once a second, giving up itself after `SGLANG_HEALTH_CHECK_TIMEOUT`, 20 s); it
  returns 503 while starting or shutting down. The switch `SGLANG_ENABLE_HEALTH_ENDPOINT_GENERATION=0` is a no-op in
  that release (the handler tests the setting object, always truthy, instead of its value), so aimc does not set it.
  Liveness therefore runs no generation: a `tcpSocket` probe on the serving port (uvicorn binds it only after the
  model is loaded), so a busy pod is never killed for a slow generation. Startup and readiness keep `/health`, with
  a timeout that lets SGLang give its own verdict (its 20 s plus a margin).

The startup probe carries the model-sized budget (`sizing.startup_budget_seconds`); liveness and readiness start
when it succeeds, so they need no initial delay.
"""

from __future__ import annotations

from aimc.model.plan import ResolvedEngine
from aimc.render import sizing

HEALTH_PATH = {"vllm": "/health", "sglang": "/health"}
# Paths (prefixes) each engine serves without the API key; a tcpSocket probe needs none. vLLM leaves every path
# outside `/v1` open, SGLang exactly these two prefixes.
KEY_FREE_PREFIXES = {"vllm": ("/health", "/metrics"), "sglang": ("/health", "/metrics")}
# SGLang's /health waits for a one-token generation: at least its 1 s poll, at most its own 20 s
# (SGLANG_HEALTH_CHECK_TIMEOUT), after which it answers 503 itself. The probe waits longer than that.
SGLANG_GENERATION_TIMEOUT_SECONDS = 25
HEALTH_TIMEOUT_SECONDS = {"vllm": 5, "sglang": SGLANG_GENERATION_TIMEOUT_SECONDS}

LIVENESS = {"periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 6}  # a minute of failures: restart
READINESS = {
    "vllm": {"periodSeconds": 5, "timeoutSeconds": 5, "failureThreshold": 3},
    # Every call is a generation: probe half as often, and wait for SGLang's own verdict.
    "sglang": {"periodSeconds": 10, "timeoutSeconds": SGLANG_GENERATION_TIMEOUT_SECONDS, "failureThreshold": 3},
}


def liveness_check(engine: str) -> dict:
    """What the liveness probe asks: vLLM's free `/health`; for SGLang only that the port accepts connections."""
    if engine == "sglang":
        return {"tcpSocket": {"port": "http"}}
    return {"httpGet": {"path": HEALTH_PATH[engine], "port": "http"}}


def probes(engine: ResolvedEngine, models=None) -> dict:
    """`startupProbe`, `livenessProbe` and `readinessProbe` of the engine's container."""
    get = {"httpGet": {"path": HEALTH_PATH[engine.engine], "port": "http"}}
    budget = sizing.startup_budget_seconds(engine, models)
    period = sizing.STARTUP_PERIOD_SECONDS
    timeout = HEALTH_TIMEOUT_SECONDS[engine.engine]
    return {
        "startupProbe": {**get, "periodSeconds": period, "timeoutSeconds": timeout,
                         "failureThreshold": budget // period},
        "livenessProbe": {**liveness_check(engine.engine), **LIVENESS},
        "readinessProbe": {**get, **READINESS[engine.engine]},
    }
