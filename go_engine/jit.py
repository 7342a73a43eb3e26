"""The Numba compile options every compiled module of go_engine uses, in one place.

JIT: ordinary kernels (cached on disk, released GIL so threads can run them).
HOT: kernels that never allocate, compiled without the runtime's reference counting: taking
    arrays out of the State tuple otherwise costs atomic increments on every call (~100 ns).
INLINE: small HOT kernels also inlined into their (reference-count-free) callers: the State
    tuple is large, and passing it by value to an out-of-line call costs more than the work.
"""

from __future__ import annotations

JIT = {"cache": True, "nogil": True}
HOT = {"cache": True, "nogil": True, "_nrt": False}
INLINE = {"cache": True, "nogil": True, "_nrt": False, "inline": "always"}
