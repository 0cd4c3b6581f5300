"""The verified-artifact mirror: a store of artifacts that passed verification (`store`, `admit`), served read-only
as an npm registry and a PyPI simple index (`server`, `npm_api`, `pypi_api`)."""
