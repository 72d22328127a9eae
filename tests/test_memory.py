"""keep_freed_memory: a repeated colorization reuses what the last one freed instead of having the
system map (and zero) fresh pages; and the same photo gives the same pixels every time, whatever
memory the calls get. A setting of the whole process, so each case runs in its own."""
import subprocess
import sys

import pytest

#: Repeated calls measured after the first.
REPEATS = 3

SCRIPT = """
import hashlib, resource, sys
import numpy as np
from hintcolor import Colorizer
from hintcolor.worker.memory import keep_freed_memory

kept = keep_freed_memory() if sys.argv[2] == "keep" else None
colorizer = Colorizer(sys.argv[1], device="cpu", precision="fp32")
photo = np.random.default_rng(0).integers(0, 256, (3000, 4000), dtype=np.uint8)
results, faults = [], []
for call in range(1 + int(sys.argv[3])):  # each result is let go, as a loop over photos does
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    results.append(hashlib.sha256(colorizer.colorize_array(photo)).hexdigest())
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(kept, *faults[1:], len(set(results)))
"""


def _repeated_calls(weights_file, mode: str) -> tuple[str, list[int], int]:
    """(whether memory was kept, the page faults of each repeated call, how many different results)."""
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(weights_file), mode, str(REPEATS)], capture_output=True,
                         text=True, timeout=600, check=True).stdout.split()
    return out[0], [int(n) for n in out[1:-1]], int(out[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc settings")
def test_kept_memory_spares_repeated_12_megapixel_calls_their_page_faults_and_all_give_the_same_pixels(weights_file):
    kept, kept_faults, kept_results = _repeated_calls(weights_file, "keep")
    _, default_faults, default_results = _repeated_calls(weights_file, "default")
    print(f"page faults of repeated 12 MP calls: {default_faults} by default, {kept_faults} with keep_freed_memory()")
    assert kept == "True"
    assert kept_results == default_results == 1  # the same pixels from every call, memory kept or not
    assert min(default_faults) > 5000  # the network's activations alone are over 100 MB (pages of 4 KiB)
    # A repeated call with kept memory faults almost no page; now and then the network's two threads
    # allocate in another order and the heap grows by a few of its 5.5 MB activations (up to 22 000
    # faults in one call, mostly in the first repeat): hence the least, and the total, of several calls.
    assert min(kept_faults) < 1000
    assert sum(kept_faults) < sum(default_faults) / 2
