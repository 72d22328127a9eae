"""What a process does with the memory it frees: keep it for the next call, or hand it back.

A 12 MP colorization allocates and frees a few hundred megabytes of large buffers (the network's
activations, full-resolution planes). By default glibc returns large freed buffers to the system
at once, and the next call has the kernel zero and map them in again: about 80 000 page faults,
0.1–0.3 s of a warm 12 MP call on a 2-core CPU. :func:`keep_freed_memory` makes the process keep
what it frees (so repeated calls reuse it), :func:`release_memory` hands what is free back.

Both are settings of the whole process, so the library never calls them on its own. The worker
behind the GIMP plug-ins does (it keeps memory while the user works and hands it back once idle:
``hintcolor serve --keep-memory``); a program that colorizes many photos in a row may call
:func:`keep_freed_memory` once (``from hintcolor.worker.memory import keep_freed_memory``). Without glibc
(macOS, Windows, musl) both do nothing.
"""
from __future__ import annotations

import ctypes
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_M_ARENA_MAX = -8
#: Free memory at the top of the heap beyond which glibc gives the rest back after a free (bytes):
#: a 12 MP request's buffers fit under it; more would keep memory that mixed requests leave
#: fragmented (the worker's soak benchmark: 672 MB kept with 256 MB, 1000 MB with 1 GB).
KEPT_BYTES = 256 << 20


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - glibc has both; musl has neither
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _glibc()


def keep_freed_memory() -> bool:
    """From now on, keep freed memory in this process for later allocations instead of handing it
    back to the system at each ``free``. glibc: large buffers come from the heap, not ``mmap``; the
    heap is trimmed only beyond :data:`KEPT_BYTES` free; and all threads share one arena (what one
    thread frees, another reuses: the worker receives pixels in one thread and computes in
    another; and a thread's own heap would be unmapped whenever it empties). The process's resident
    memory stays near its peak until :func:`release_memory`. Returns whether the setting took
    effect (False without glibc)."""
    if _LIBC is None:
        return False
    settings = ((_M_ARENA_MAX, 1), (_M_MMAP_MAX, 0), (_M_TRIM_THRESHOLD, KEPT_BYTES))
    return all([_LIBC.mallopt(option, value) for option, value in settings])


def release_memory() -> None:
    """Hand all free heap memory back to the system (glibc's ``malloc_trim``; every thread's arena,
    free pages inside the heap included)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
