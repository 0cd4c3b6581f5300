"""The submitting shell's settings, carried to every Dask worker (imported only when Dask is used).

A worker started on another machine, or before the batch, has its own environment: without these it would
resolve packages against other registries, without the git `insteadOf` rewriting or the proxy of the shell
that asked for the batch, and store results about something else under the same purls.
"""

from __future__ import annotations

import os
import re

from distributed import WorkerPlugin

SHIPPED_ENV = re.compile(
    r"^(OSSPROV_\w+|GIT_CONFIG\w*|GIT_SSL_\w+|npm_config_\w+|NPM_CONFIG_\w+|PIP_\w+|UV_(DEFAULT_)?INDEX\w*|NUGET_\w+"
    r"|MAVEN_\w+|M2_HOME|HTTPS?_PROXY|https?_proxy|NO_PROXY|no_proxy|SSL_CERT_\w+|REQUESTS_CA_BUNDLE)$")
"""Registries, git rewriting, proxies, CA bundles and ossprov's own variables (its token included: the
cluster is the user's own)."""


def shipped_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if SHIPPED_ENV.match(k)}


class ShippedEnvironment(WorkerPlugin):
    """Applied on every worker when registered, and on workers that join or restart later."""

    name = "ossprov-environment"

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def setup(self, worker: object) -> None:
        from ossprov import http

        os.environ.update(self.env)
        http.reset_client()  # a client made before the settings arrived would keep the old registry
