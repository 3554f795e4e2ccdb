"""In Argo CD mode there is no command line: a message that names a CLI option (`--namespace`, `pass --inventory
FILE`) names the plugin setting that does the same (`ARGOCD_ENV_AIMC_NAMESPACE` in the Application's
`spec.source.plugin.env`), and a hint about an option the plugin has no setting for is left out."""

from __future__ import annotations

import re

from aimc.errors import Diagnostic
from aimc.records import replace

ENV_PREFIX = "ARGOCD_ENV_"
# CLI option -> the plugin setting that does the same.
OPTION_SETTINGS = {
    "--namespace": "AIMC_NAMESPACE",
    "--inventory": "AIMC_INVENTORY",
    "--recipes": "AIMC_RECIPES",
    "--exclude": "AIMC_EXCLUDE",
    "--strict": "AIMC_STRICT",
}
_OPTION = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, OPTION_SETTINGS)) + r")\b( FILE| GLOB| DIR)?")
# Hints about options the plugin cannot take (the message still says what is wrong and what else fixes it).
_NO_SETTING = re.compile(r",? or pass --allow-overcommit")


def in_settings(diagnostics, env) -> list[Diagnostic]:
    return [_translated(d, env) for d in diagnostics]


def _translated(diagnostic: Diagnostic, env) -> Diagnostic:
    file = diagnostic.file
    if file == "--namespace":  # the value came from AIMC_NAMESPACE, else from the Application's namespace
        file = ENV_PREFIX + "AIMC_NAMESPACE" if env.get(ENV_PREFIX + "AIMC_NAMESPACE", "").strip() \
            else "ARGOCD_APP_NAMESPACE"
    elif file in OPTION_SETTINGS:
        file = ENV_PREFIX + OPTION_SETTINGS[file]
    message = _NO_SETTING.sub("", diagnostic.message)
    if file != diagnostic.file:  # a setting's value is never echoed (settings may hold secrets)
        message = re.sub(r"^'[^']*' is ", "the value is ", message)
    message = _OPTION.sub(lambda m: f"set {ENV_PREFIX}{OPTION_SETTINGS[m.group(1)]}", message)
    message = message.replace("pass set ", "set ")
    return replace(diagnostic, file=file, message=message)
