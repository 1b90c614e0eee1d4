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
