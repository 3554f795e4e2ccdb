"""The CEL rules of a CRD schema (`x-kubernetes-validations`), evaluated on an object as the API server would, with
cel-python. jsonschema checks the rest of the schema (tests/crd_fixtures.py) but ignores these rules, and a rule is
where a CRD says e.g. "a port needs portSpecification: USE_FIXED_PORT" (GKE's HealthCheckPolicy).

Transition rules (those reading `oldSelf`) need the stored object and are left out; so is a rule that uses a function
of Kubernetes' CEL library that cel-python lacks (it does not compile): `evaluate` reports what it skipped, so a
test can require that the rules it cares about ran."""

from __future__ import annotations

from functools import cache

from crd_fixtures import schema


class Outcome:
    def __init__(self) -> None:
        self.failures: list[str] = []  # "path: rule (message)"
        self.evaluated = 0
        self.skipped: list[str] = []


@cache
def _program(rule: str):
    import celpy

    environment = celpy.Environment()
    return environment.program(environment.compile(rule))


def evaluate(obj: dict) -> Outcome:
    """Every CEL rule of the object's CRD schema that applies to a field the object has."""
    found = schema(obj["apiVersion"], obj["kind"])
    assert found is not None, f"no CRD schema serves {obj['apiVersion']} {obj['kind']}"
    outcome = Outcome()
    _walk(found, obj, "", outcome)
    return outcome


def _walk(node: dict, value, path: str, outcome: Outcome) -> None:
    for rule in node.get("x-kubernetes-validations") or ():
        _check(rule, value, path or ".", outcome)
    if isinstance(value, dict):
        for key, child in (node.get("properties") or {}).items():
            if key in value:
                _walk(child, value[key], f"{path}.{key}", outcome)
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            for key, item in value.items():
                if key not in (node.get("properties") or {}):
                    _walk(extra, item, f"{path}.{key}", outcome)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for index, item in enumerate(value):
            _walk(node["items"], item, f"{path}[{index}]", outcome)


def _check(rule: dict, value, path: str, outcome: Outcome) -> None:
    import celpy

    text = rule["rule"]
    if "oldSelf" in text:
        return
    try:
        program = _program(text)
    except celpy.CELParseError:
        outcome.skipped.append(f"{path}: {text}")
        return
    # An evaluation error fails the object, as in the API server (e.g. "no such key" for an absent field the rule
    # reads without has()).
    try:
        result = program.evaluate({"self": celpy.json_to_cel(value)})
    except celpy.CELEvalError as error:
        result = error
    outcome.evaluated += 1
    if isinstance(result, celpy.CELEvalError) or not bool(result):
        outcome.failures.append(f"{path}: {text} ({rule.get('message', '')})")
