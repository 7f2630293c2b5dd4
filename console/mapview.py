"""Where things are on the map screen, without drawing: the part of the map in view, points
gathered into clusters at low zoom, the point nearest the centre. Longitude runs along x,
latitude along y (a city is small enough for that)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Point:
    """Something on the map: a submission (its id) or a neighbourhood (id None)."""

    lon: float
    lat: float
    key: int | None = None
    label: str = ""


@dataclass(frozen=True)
class View:
    """The centre of the view and its width in degrees of longitude; the height follows from
    the drawing's shape (`aspect`: its height over its width, a cell being twice as tall as
    it is wide), so that the city keeps its shape."""

    lon: float
    lat: float
    span: float
    aspect: float = 0.5

    @property
    def height(self) -> float:
        # A degree of longitude is shorter than one of latitude away from the equator.
        return self.span * math.cos(math.radians(self.lat)) * self.aspect

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
        return replace(self, lon=self.lon + dx * self.span, lat=self.lat + dy * self.height)

    def zoomed(self, factor: float) -> View:
        """Closer (factor < 1) or farther."""
        return replace(self, span=max(0.0005, min(5.0, self.span * factor)))

    def shaped(self, cols: int, rows: int) -> View:
        """The same view on a drawing of `cols` by `rows` cells."""
        return replace(self, aspect=2 * max(rows, 1) / max(cols, 1))


def fit(points: list[Point], aspect: float = 0.5, margin: float = 0.1) -> View:
    """The view that shows every point, with a margin."""
    if not points:
        return View(4.48, 51.03, 0.1, aspect)
    west, east = min(p.lon for p in points), max(p.lon for p in points)
    south, north = min(p.lat for p in points), max(p.lat for p in points)
    lat = (south + north) / 2
    span = max(east - west, (north - south) / math.cos(math.radians(lat)) / aspect, 0.005)
    return View((west + east) / 2, lat, span * (1 + 2 * margin), aspect)


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


@dataclass(frozen=True)
class Label:
    """Text to write at a cell of the drawing (its centre column)."""

    col: int
    row: int
    text: str


class Grid:
    """The drawing's character cells, to keep names from being written over points, counts
    and each other: a name that finds no free place is left out until one zooms in."""

    def __init__(self, view: View, cols: int, rows: int) -> None:
        self.view, self.cols, self.rows = view, max(cols, 1), max(rows, 1)
        self.taken: set[tuple[int, int]] = set()

    def cell(self, lon: float, lat: float) -> tuple[int, int]:
        west, east, south, north = self.view.bounds()
        col = round((lon - west) / (east - west) * (self.cols - 1))
        row = round((north - lat) / (north - south) * (self.rows - 1))
        return col, row

    def place(self, lon: float, lat: float) -> None:
        """A point (or count) drawn here: its cell is no longer free for names."""
        self.taken.add(self.cell(lon, lat))

    def take(self, lon: float, lat: float, text: str) -> Label | None:
        """A place for `text` on its own row or the one below or above, or None."""
        col, row = self.cell(lon, lat)
        for r in (row, row + 1, row - 1):
            start = col - len(text) // 2
            # One free cell either side, so two names never read as one.
            cells = {(c, r) for c in range(start - 1, start + len(text) + 1)}
            fits = 0 <= r < self.rows and start >= 0 and start + len(text) <= self.cols
            if fits and not cells & self.taken:
                self.taken |= cells
                return Label(start + len(text) // 2, r, text)
        return None

    def coordinates(self, label: Label) -> tuple[float, float]:
        """Where to draw a label, as (lon, lat)."""
        west, east, south, north = self.view.bounds()
        lon = west + label.col / (self.cols - 1) * (east - west)
        lat = north - label.row / (self.rows - 1) * (north - south)
        return lon, lat
