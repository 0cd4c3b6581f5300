"""Errors that the CLI turns into a one-line message and a documented exit code.

Every error a user can cause (bad input) or meet (registry down) is one of these; anything else is a bug
and still gets a one-line message, with exit code 4.
"""

from __future__ import annotations

from ossprov.redaction import redact_text

MAX_MESSAGE = 800
"""Characters of a message: enough for a reason and a path, not for a 200 KB registry answer echoed back."""


class OssprovError(Exception):
    """Base class: `exit_code` is what the CLI exits with. The message is one line, of bounded length,
    whatever text (a hostile file name, a registry's error body) was put in it, and credentials in URLs in it
    are redacted (`ossprov.redaction`): messages are printed and stored as job errors."""

    exit_code = 4

    def __str__(self) -> str:
        text = redact_text(" ".join(super().__str__().split()))
        return text if len(text) <= MAX_MESSAGE else f"{text[:MAX_MESSAGE]}... ({len(text)} characters)"


class InputError(OssprovError):
    """The user's input is wrong: a malformed purl, a missing file, a bad option value."""

    exit_code = 2


class NotFoundError(InputError):
    """The registry answered that the package or version does not exist."""


class VersionRemovedError(NotFoundError):
    """The registry records the version but no longer serves it (unpublished, taken down): the stage runner
    makes this a `removed` result, not an error."""


class NotLocatedError(OssprovError):
    """The package's source repository or commit could not be found (or the version is no longer served):
    a stage that needs the source (practices, rebuild) cannot run."""

    exit_code = 1


class RegistryError(OssprovError):
    """The registry or the network failed: unreachable, 5xx after retries, a truncated or malformed answer."""

    exit_code = 3


class ArchiveError(OssprovError):
    """An artifact could not be read safely (corrupt, a bomb, too many entries)."""

    exit_code = 2


class GitError(OssprovError):
    """A git operation failed (clone refused, repository gone)."""

    exit_code = 3


class SandboxError(OssprovError):
    """The sandbox needed for a build is not available."""

    exit_code = 2


class DeadlineError(RegistryError):
    """A request, a git call or a whole package took longer than its deadline (a trickling or silent server)."""


class StorageError(OssprovError):
    """ossprov's own cache or data directory cannot be written: the disk is full or the directory read-only."""

    exit_code = 6


class OfflineError(RegistryError):
    """`--offline` was asked and what is needed is not in the cache."""
