"""Plan tracking for the Jiaozuo New Area (焦作新区): domain logic, free of Prefect."""

import os as _os

# Arrow's allocator (mimalloc) commits its arenas eagerly; in a new process the first read of
# a national month then spent ~1 s more in the kernel (docs/scale.md). Read when pyarrow
# loads, so set here, before any of our modules imports pandas; an operator's value wins.
_os.environ.setdefault("MIMALLOC_ARENA_EAGER_COMMIT", "0")
