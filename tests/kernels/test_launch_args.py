"""Launch arguments are checked before anything reaches the driver (no GPU needed)."""

from __future__ import annotations

import pytest

from kog.kernels.launch import _attributes, launch


def test_a_grid_must_be_whole_clusters_and_not_empty():
    with pytest.raises(ValueError, match="whole number of clusters"):
        launch(None, (12, 14, 1), (128, 1, 1), [], cluster=8)
    with pytest.raises(ValueError, match="empty grid"):
        launch(None, (0, 1, 1), (128, 1, 1), [])


def test_launch_attributes_carry_pdl_and_the_cluster_shape():
    assert _attributes(False, 1) == ()
    pdl, cluster = _attributes(True, 8)
    assert pdl.id == 6 and pdl.value[0] == 1  # programmatic stream serialization, on
    assert cluster.id == 4 and list(cluster.value[:12]) == [8, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]  # (8, 1, 1)


def test_resident_grid_counts_the_kernels_static_shared_memory(monkeypatch):
    """A block's footprint is its dynamic shared memory, its static arrays and the 1 KB the hardware
    reserves: 48 static bytes left out of the count once planned one block too many per SM."""
    from kog.kernels import gemv_launch

    class Kernel:
        shared_size_bytes = 48

    monkeypatch.setattr(gemv_launch, "_shared_mem_per_sm", lambda: 228 * 1024)
    monkeypatch.setattr(gemv_launch, "sm_count", lambda device: 132)
    monkeypatch.setattr(gemv_launch.torch.cuda, "current_device", lambda: 0)
    smem = 228 * 1024 // 3 - 1024  # exactly three blocks an SM without static arrays
    assert gemv_launch.grid_blocks(10**6, smem) == 3 * 132
    assert gemv_launch.grid_blocks(10**6, smem, kernel=Kernel()) == 2 * 132
    assert gemv_launch.grid_blocks(40, smem, kernel=Kernel()) == 10  # fewer groups than resident blocks
