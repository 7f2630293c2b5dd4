"""The map's geometry, without drawing: the first view holds every point, zoom and pan move
it, clusters keep every point once, names never overlap what is drawn or each other."""

from __future__ import annotations

import random

from console.mapview import Grid, Point, View, clusters, fit, nearest


def city(n: int = 300, seed: int = 7) -> list[Point]:
    rng = random.Random(seed)
    return [Point(4.40 + rng.random() * 0.15, 50.98 + rng.random() * 0.1, i) for i in range(n)]


def test_the_first_view_holds_every_point_in_its_shape() -> None:
    points = city()
    for aspect in (0.3, 0.5, 1.2):
        view = fit(points, aspect)
        assert all(view.contains(p) for p in points)
        # The city keeps its shape: the view's height follows the drawing's.
        assert view.shaped(100, int(100 * aspect / 2)).aspect == aspect


def test_zoom_and_pan() -> None:
    points = city()
    view = fit(points)
    closer = view.zoomed(0.5)
    assert closer.span == view.span / 2 and (closer.lon, closer.lat) == (view.lon, view.lat)
    assert sum(map(closer.contains, points)) < len(points)
    east = view.panned(0.25, 0)
    assert east.lon == view.lon + view.span / 4 and east.lat == view.lat
    north = view.panned(0, 0.25)
    assert north.lat > view.lat
    assert view.zoomed(1e-9).span > 0 and view.zoomed(1e9).span <= 5


def test_clusters_keep_each_point_in_view_once() -> None:
    points = city()
    view = fit(points).zoomed(0.5)
    found = clusters(points, view, cells=10)
    members = [p.key for c in found for p in c.points]
    assert sorted(members) == sorted(p.key for p in points if view.contains(p))
    assert len(found) < len(members)  # zoomed out, they gather
    assert len(clusters(points, view.zoomed(0.001), cells=10)) <= 1


def test_nearest_is_the_closest_by_distance() -> None:
    points = city()
    here = points[17]
    assert nearest(points, here.lon, here.lat) == here
    assert nearest([], 4.4, 51.0) is None


def test_names_are_never_written_over_each_other() -> None:
    points = city(60)
    grid = Grid(fit(points), 78, 20)
    for p in points[:20]:
        grid.place(p.lon, p.lat)
    placed = [grid.take(p.lon, p.lat, f"Neighbourhood {p.key}") for p in points[20:]]
    labels = [label for label in placed if label is not None]
    assert 0 < len(labels) < 40  # some fit, the rest wait for a closer view
    cells = [
        {
            (c, label.row)
            for c in range(
                label.col - len(label.text) // 2, label.col - len(label.text) // 2 + len(label.text)
            )
        }
        for label in labels
    ]
    for i, a in enumerate(cells):
        for b in cells[i + 1 :]:
            assert not a & b
    for p in points[:20]:
        col, row = grid.cell(p.lon, p.lat)
        assert not any((col, row) in c for c in cells)
    # A label's place reads back as the coordinates drawn.
    lon, lat = grid.coordinates(labels[0])
    assert grid.cell(lon, lat) == (labels[0].col, labels[0].row)
    assert View(4.4, 51.0, 0.1).contains(Point(4.4, 51.0))
