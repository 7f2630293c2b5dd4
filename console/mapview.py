"""Where things are on the map screen, without drawing: the part of the map in view, points
gathered into clusters at low zoom, the point nearest the centre. Longitude runs along x,
latitude along y (a city is small enough for that)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    """Something on the map: a submission (its id) or a neighbourhood (id None)."""

    lon: float
    lat: float
    key: int | None = None
    label: str = ""


@dataclass(frozen=True)
class View:
    """The centre of the view and its width in degrees of longitude (height follows)."""

    lon: float
    lat: float
    span: float

    @property
    def height(self) -> float:
        # A degree of longitude is shorter than one of latitude away from the equator.
        return self.span * math.cos(math.radians(self.lat))

    def bounds(self) -> tuple[float, float, float, float]:
        """(west, east, south, north)."""
        return (
            self.lon - self.span / 2,
            self.lon + self.span / 2,
            self.lat - self.height / 2,
            self.lat + self.height / 2,
        )

    def contains(self, p: Point) -> bool:
        west, east, south, north = self.bounds()
        return west <= p.lon <= east and south <= p.lat <= north

    def panned(self, dx: float, dy: float) -> View:
        """Moved by a share of the view (0.25: a quarter of its width or height)."""
        return View(self.lon + dx * self.span, self.lat + dy * self.height, self.span)

    def zoomed(self, factor: float) -> View:
        """Closer (factor < 1) or farther."""
        return View(self.lon, self.lat, max(0.0005, min(5.0, self.span * factor)))


def fit(points: list[Point], margin: float = 0.15) -> View:
    """The view that shows every point, with a margin."""
    if not points:
        return View(4.48, 51.03, 0.1)
    west, east = min(p.lon for p in points), max(p.lon for p in points)
    south, north = min(p.lat for p in points), max(p.lat for p in points)
    lat = (south + north) / 2
    span = max(east - west, (north - south) / math.cos(math.radians(lat)), 0.005)
    return View((west + east) / 2, lat, span * (1 + 2 * margin))


@dataclass(frozen=True)
class Cluster:
    """Points close together at this zoom, drawn as one with their count."""

    lon: float
    lat: float
    points: tuple[Point, ...]


def clusters(points: list[Point], view: View, cells: int = 12) -> list[Cluster]:
    """The points in view gathered per cell of a grid `cells` wide over the view."""
    size = view.span / cells
    grid: dict[tuple[int, int], list[Point]] = {}
    for p in points:
        if view.contains(p):
            grid.setdefault((math.floor(p.lon / size), math.floor(p.lat / size)), []).append(p)
    return [
        Cluster(
            sum(p.lon for p in members) / len(members),
            sum(p.lat for p in members) / len(members),
            tuple(members),
        )
        for members in grid.values()
    ]


def nearest(points: list[Point], lon: float, lat: float) -> Point | None:
    """The point nearest to a place (in metres, roughly)."""
    scale = math.cos(math.radians(lat))
    return min(
        points,
        key=lambda p: ((p.lon - lon) * scale) ** 2 + (p.lat - lat) ** 2,
        default=None,
    )
