"""Upload times as pinning evidence, once judged real.

A package cannot be built from a commit made after it was uploaded, and the release commit is usually made
shortly before. That holds only for real upload times: mirrors and some registries send the date they copied
each version (versions published years apart all dated within days of each other, or out of version order),
and such a date says nothing about the commit. Times are judged from the registry's list of every version's
time when the caller has it, and from the history itself (an upload before every commit holding the package's
files is not an upload time).
"""

from __future__ import annotations

import datetime
import itertools
import re
from dataclasses import dataclass

SLACK = 3600
"""Seconds a commit may postdate the upload (clock skew, a tag commit made just after publishing)."""
MIN_VERSIONS = 4


def iso_to_epoch(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


_NUMBER = re.compile(r"\d+")


def _order_key(version: str) -> tuple:
    """A sort key for the release part of a version (1.10.0 after 1.9.2); pre-releases sort with their release."""
    nums = _NUMBER.findall(version.split("-")[0].split("+")[0])
    return tuple(int(n) for n in nums[:4])


@dataclass(frozen=True)
class UploadTime:
    epoch: int | None
    """The upload time, None when unknown or judged not real."""
    note: str = ""
    """Why the registry's time is not used, when it is not."""


def judge(released_at: str | None, version_times: dict[str, str] | None = None) -> UploadTime:
    """The upload time to use, or why the registry's time is not one."""
    epoch = iso_to_epoch(released_at)
    if epoch is None:
        return UploadTime(None, "the registry sent no upload time" if not released_at else
                          f"the registry's time {released_at!r} is not a date")
    reason = copy_dates(version_times or {})
    return UploadTime(None, reason) if reason else UploadTime(epoch)


def copy_dates(version_times: dict[str, str]) -> str | None:
    """Why the registry's per-version times look like copy dates rather than upload times, or None."""
    timed = sorted(((_order_key(v), e, v) for v, t in version_times.items()
                    if v not in ("created", "modified") and "-" not in v and (e := iso_to_epoch(t)) is not None))
    if len(timed) < MIN_VERSIONS:
        return None
    inversions = sum(1 for a, b in itertools.pairwise(timed) if b[1] < a[1] and b[0] > a[0])
    if inversions * 4 > len(timed) - 1:
        return (f"the registry's times are out of version order ({inversions} of {len(timed) - 1} consecutive "
                "releases dated before their predecessor): copy dates of a mirror, not upload times")
    return None


def before_source(upload: UploadTime, first_commit_time: int) -> UploadTime:
    """The upload time, unless it precedes the oldest commit holding the package's files (the package cannot
    predate its source: the registry sent another date)."""
    if upload.epoch is not None and upload.epoch + 86400 < first_commit_time:
        when = datetime.datetime.fromtimestamp(upload.epoch, datetime.UTC).isoformat()
        return UploadTime(None, f"the registry's time {when} is before every commit holding the package's files: "
                                "not the upload time")
    return upload
