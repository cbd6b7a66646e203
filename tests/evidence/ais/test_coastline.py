"""The packaged Natural Earth land and the box clipping the map uses."""

import numpy as np

from evidence.ais.coastline import clip_ring, land_in_box, land_rings


def inside(ring: np.ndarray, lon: float, lat: float) -> bool:
    """Even-odd ray casting, written here apart from the module under test."""
    xs, ys = ring[:, 0], ring[:, 1]
    hit = False
    for i in range(len(ring)):
        x1, y1, x2, y2 = xs[i - 1], ys[i - 1], xs[i], ys[i]
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2


def test_the_packaged_land_has_the_natural_earth_10m_rings():
    rings, boxes = land_rings()
    assert len(rings) == len(boxes) == 4062
    assert sum(len(r) for r in rings) == 408_940


def test_land_and_sea_around_rajin():
    rings = land_in_box(129.5, 41.5, 131.5, 43.0)
    # Inland North Korea near Rajin is land; the East Sea off Rajin is not.
    assert any(inside(r, 130.0, 42.6) for r in rings)
    assert not any(inside(r, 130.8, 41.9) for r in rings)


def test_open_ocean_has_no_land():
    assert land_in_box(-135.0, -50.0, -125.0, -45.0) == []  # the South Pacific


def test_clipping_a_square_to_a_box_keeps_exactly_the_overlap():
    square = np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]])
    clipped = clip_ring(square, 1.0, 1.0, 10.0, 2.0)
    assert area(clipped) == 3.0  # x 1..4, y 1..2
    assert clipped[:, 0].min() == 1.0
    assert clipped[:, 1].max() == 2.0
    assert len(clip_ring(square, 5.0, 5.0, 6.0, 6.0)) == 0
