"""A test hook, loaded only by processes whose PYTHONPATH a test pointed here (tests/runs/test_sweep.py).

``EVO_TEST_HOLD=DIR:G``: the first run, in any process, that writes its checkpoint of generation ≥ G
claims ``DIR/held`` (created exclusively, so exactly one run is held) and then waits until it is killed.
A test can then kill a sweep in a known state (one run under way, held; others free to finish) instead of
polling a clock and hoping the sweep has not already finished.
"""

from __future__ import annotations

import os

_spec = os.environ.get("EVO_TEST_HOLD")
if _spec:
    import threading

    import evo.runs.checkpoint

    _dir, _, _gen = _spec.rpartition(":")
    _real_save = evo.runs.checkpoint.save

    def _save(run_dir, state, *args, **kwargs):  # type: ignore[no-untyped-def]
        _real_save(run_dir, state, *args, **kwargs)
        if state.generation < int(_gen):
            return
        try:
            fd = os.open(os.path.join(_dir, "held"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.write(fd, str(run_dir).encode())
        os.close(fd)
        threading.Event().wait()  # held until killed

    evo.runs.checkpoint.save = _save
