"""keep_freed_memory: a repeated colorization reuses what the last one freed instead of having the
system map (and zero) fresh pages. A setting of the whole process, so each case runs in its own."""
import subprocess
import sys

import pytest

SCRIPT = """
import resource, sys
import numpy as np
from hintcolor import Colorizer
from hintcolor.worker.memory import keep_freed_memory

kept = keep_freed_memory() if sys.argv[2] == "keep" else None
colorizer = Colorizer(sys.argv[1], device="cpu", precision="fp32")
photo = np.random.default_rng(0).integers(0, 256, (3000, 4000), dtype=np.uint8)
first = colorizer.colorize_array(photo).sum(dtype=np.int64)  # the result is let go, as a loop over photos does
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
again = colorizer.colorize_array(photo).sum(dtype=np.int64)
print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before, first == again)
"""


def _second_call(weights_file, mode: str) -> tuple[str, int, str]:
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(weights_file), mode], capture_output=True, text=True,
                         timeout=300, check=True).stdout.split()
    return out[0], int(out[1]), out[2]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc settings")
def test_kept_memory_spares_a_repeated_12_megapixel_call_its_page_faults(weights_file):
    kept, kept_faults, same = _second_call(weights_file, "keep")
    _, default_faults, default_same = _second_call(weights_file, "default")
    print(f"page faults of a second 12 MP call: {default_faults} by default, {kept_faults} with keep_freed_memory()")
    assert kept == "True" and same == default_same == "True"
    assert default_faults > 5000  # the network's activations alone are over 100 MB (pages of 4 KiB)
    assert kept_faults < default_faults / 5
