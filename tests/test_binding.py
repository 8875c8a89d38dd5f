"""IO binding (stylecam.binding): buffers bound once per frame size, replayed as CUDA graphs."""

from __future__ import annotations

import numpy as np
from conftest import make_model, synthetic_frame

from stylecam.binding import BoundRunner
from stylecam.engine import Stylizer


def test_bound_buffers_stay_bounded_when_every_frame_has_its_own_size(tmp_path):
    """A folder of photos of every size: the first sizes keep their (CUDA-graph) buffers for good, the
    rest are bound without a graph and dropped oldest first. Runs the real binding on the CPU provider,
    which ignores the graph ids a CUDA session would use."""
    path = make_model(tmp_path / "pool.onnx", "pool4")
    st = Stylizer(path, device="cpu", io_binding=False)
    names = st.session.get_inputs()[0].name, st.session.get_outputs()[0].name
    runner = BoundRunner(st.session, *names, "cpu", cuda_graph=True)
    limit = BoundRunner.MAX_SIZES
    shapes = [(1, 16 + 4 * i, 24, 3) for i in range(3 * limit)]
    for i, shape in enumerate(shapes):
        frame = synthetic_frame(shape[2], shape[1], t=i)
        assert np.array_equal(runner(frame[None]), st.run_padded(frame)[None])
    assert [runner.graph_id(s) for s in shapes[:limit]] == list(range(limit))  # kept, in capture order
    assert all(runner.graph_id(s) is None for s in shapes[limit : 2 * limit])  # dropped
    assert all(runner.graph_id(s) == -1 for s in shapes[2 * limit :])  # the newest, without a graph
