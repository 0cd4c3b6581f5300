"""A forked copy takes its own copy of the daemon's memory ahead of the command it will run.

After `fork` the copy shares the daemon's pages until it writes to them, and CPython writes to every object it
touches (its reference count): the first command a copy runs then stops at a page fault for each page of the
daemon's heap it reaches, which made a warm verify take twice as long (10 ms of work became 4 in a copy that
owned its pages). The spare, which waits for the next command anyway, asks the kernel to copy its writable pages
at once (`madvise(MADV_POPULATE_WRITE)`, Linux 5.14), a chunk at a time, and stops the moment a command comes.
The cost is memory: the spare owns what the daemon's heap holds (~70 MB) while it waits.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

MADV_POPULATE_WRITE = 23
CHUNK = 1 << 20
"""Bytes copied between two looks at whether a command has come."""
DENSE = 0.5
"""A mapping is copied only if at least this share of it is resident: a sparse reservation (an allocator's
address range) would otherwise be filled with pages never used."""


def writable_mappings(smaps: str) -> list[tuple[int, int]]:
    """(start, end) of the private writable mappings of `/proc/self/smaps` text that are mostly resident."""
    found: list[tuple[int, int]] = []
    start = end = 0
    writable = False
    for line in smaps.splitlines():
        first = line.split(maxsplit=2)
        if len(first) >= 2 and "-" in first[0] and len(first[1]) == 4:  # a mapping's header line
            low, _, high = first[0].partition("-")
            start, end, writable = int(low, 16), int(high, 16), first[1] == "rw-p"
        elif writable and first[:1] == ["Rss:"] and int(first[1]) * 1024 >= DENSE * (end - start):
            found.append((start, end))
    return found


def own_pages(interrupted: Callable[[], bool]) -> None:
    """Copy this process's writable pages now, until `interrupted()`; nothing where the kernel cannot."""
    try:
        with open("/proc/self/smaps", encoding="ascii") as smaps:
            mappings = writable_mappings(smaps.read())
        madvise = ctypes.CDLL(None, use_errno=True).madvise  # the C library the interpreter runs on
    except (OSError, AttributeError):
        return
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    for start, end in mappings:
        for at in range(start, end, CHUNK):
            if interrupted() or madvise(at, min(CHUNK, end - at), MADV_POPULATE_WRITE) != 0:
                return
