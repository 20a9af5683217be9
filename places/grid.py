"""Ordnance Survey grid references to latitude and longitude, and back.

The postcode directory gives each postcode a grid reference in metres: the
British National Grid (OSGB36 datum) in Great Britain, the Irish Grid in
Northern Ireland. Maps and the API want WGS84 latitude and longitude.

The formulae are those of Ordnance Survey's "A guide to coordinate systems in
Great Britain": the transverse Mercator projection (exact to a millimetre
against the guide's worked example) and a seven-parameter Helmert datum shift.
The Helmert shift is the accuracy limit: within about 5 metres of OSTN15, OS's
definitive transformation, across Great Britain (tests/test_places_grid.py
measures it at OS's published test points). A postcode's grid reference is
itself the centre of a group of addresses, so 5 metres is far finer than the
data. WGS84 and ETRS89 differ by under a metre in the UK; we treat them as one.
"""

from dataclasses import dataclass
from functools import cached_property
from math import atan2, cos, degrees, radians, sin, sqrt, tan

ARC_SECOND = radians(1 / 3600)


@dataclass(frozen=True)
class Ellipsoid:
    a: float  # semi-major axis, metres
    b: float  # semi-minor axis, metres

    @cached_property
    def e2(self) -> float:
        """Eccentricity squared."""
        return (self.a**2 - self.b**2) / self.a**2


@dataclass(frozen=True)
class Helmert:
    """A seven-parameter shift from a local datum to WGS84 (position-vector convention)."""

    tx: float  # metres
    ty: float
    tz: float
    rx: float  # arc-seconds
    ry: float
    rz: float
    s: float  # parts per million

    def inverse(self) -> "Helmert":
        # Exact enough for rotations of a few arc-seconds (millimetres).
        return Helmert(-self.tx, -self.ty, -self.tz, -self.rx, -self.ry, -self.rz, -self.s)


@dataclass(frozen=True)
class Grid:
    """A transverse Mercator grid on a local datum."""

    name: str
    ellipsoid: Ellipsoid
    f0: float  # scale factor on the central meridian
    lat0: float  # true origin, degrees
    lon0: float
    e0: float  # false origin, metres
    n0: float
    to_wgs84: Helmert


AIRY_1830 = Ellipsoid(6377563.396, 6356256.909)
AIRY_MODIFIED = Ellipsoid(6377340.189, 6356034.447)
WGS84 = Ellipsoid(6378137.000, 6356752.314245)

BRITISH_NATIONAL_GRID = Grid(
    name="British National Grid (OSGB36)",
    ellipsoid=AIRY_1830,
    f0=0.9996012717,
    lat0=49.0,
    lon0=-2.0,
    e0=400000.0,
    n0=-100000.0,
    to_wgs84=Helmert(446.448, -125.157, 542.060, 0.1502, 0.2470, 0.8421, -20.4894),
)

# Northern Ireland's grid references in the postcode directory (Ireland 1975 datum).
IRISH_GRID = Grid(
    name="Irish Grid (TM75)",
    ellipsoid=AIRY_MODIFIED,
    f0=1.000035,
    lat0=53.5,
    lon0=-8.0,
    e0=200000.0,
    n0=250000.0,
    to_wgs84=Helmert(482.530, -130.596, 564.557, -1.042, -0.214, -0.631, 8.150),
)


def _meridional_arc(ellipsoid: Ellipsoid, f0: float, lat: float, lat0: float) -> float:
    a, b = ellipsoid.a, ellipsoid.b
    n = (a - b) / (a + b)
    n2, n3 = n * n, n * n * n
    d, s = lat - lat0, lat + lat0
    return (
        b
        * f0
        * (
            (1 + n + 5 / 4 * n2 + 5 / 4 * n3) * d
            - (3 * n + 3 * n2 + 21 / 8 * n3) * sin(d) * cos(s)
            + (15 / 8 * n2 + 15 / 8 * n3) * sin(2 * d) * cos(2 * s)
            - 35 / 24 * n3 * sin(3 * d) * cos(3 * s)
        )
    )


def grid_to_local_latlon(easting: float, northing: float, grid: Grid) -> tuple[float, float]:
    """Invert the projection: grid metres to latitude and longitude on the grid's own datum."""
    ell = grid.ellipsoid
    a, e2, f0 = ell.a, ell.e2, grid.f0
    lat0, lon0 = radians(grid.lat0), radians(grid.lon0)
    lat = (northing - grid.n0) / (a * f0) + lat0
    m = _meridional_arc(ell, f0, lat, lat0)
    while abs(northing - grid.n0 - m) >= 0.00001:
        lat += (northing - grid.n0 - m) / (a * f0)
        m = _meridional_arc(ell, f0, lat, lat0)
    sin_lat, cos_lat, tan_lat = sin(lat), cos(lat), tan(lat)
    nu = a * f0 / sqrt(1 - e2 * sin_lat**2)
    rho = a * f0 * (1 - e2) / (1 - e2 * sin_lat**2) ** 1.5
    eta2 = nu / rho - 1
    t2, t4, t6 = tan_lat**2, tan_lat**4, tan_lat**6
    sec = 1 / cos_lat
    vii = tan_lat / (2 * rho * nu)
    viii = tan_lat / (24 * rho * nu**3) * (5 + 3 * t2 + eta2 - 9 * t2 * eta2)
    ix = tan_lat / (720 * rho * nu**5) * (61 + 90 * t2 + 45 * t4)
    x = sec / nu
    xi = sec / (6 * nu**3) * (nu / rho + 2 * t2)
    xii = sec / (120 * nu**5) * (5 + 28 * t2 + 24 * t4)
    xiia = sec / (5040 * nu**7) * (61 + 662 * t2 + 1320 * t4 + 720 * t6)
    de = easting - grid.e0
    lat_out = lat - vii * de**2 + viii * de**4 - ix * de**6
    lon_out = lon0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    return degrees(lat_out), degrees(lon_out)


def local_latlon_to_grid(lat: float, lon: float, grid: Grid) -> tuple[float, float]:
    """Project latitude and longitude on the grid's own datum to grid metres."""
    ell = grid.ellipsoid
    a, e2, f0 = ell.a, ell.e2, grid.f0
    lat, lon = radians(lat), radians(lon)
    lat0, lon0 = radians(grid.lat0), radians(grid.lon0)
    sin_lat, cos_lat, tan_lat = sin(lat), cos(lat), tan(lat)
    nu = a * f0 / sqrt(1 - e2 * sin_lat**2)
    rho = a * f0 * (1 - e2) / (1 - e2 * sin_lat**2) ** 1.5
    eta2 = nu / rho - 1
    t2, t4 = tan_lat**2, tan_lat**4
    m = _meridional_arc(ell, f0, lat, lat0)
    i = m + grid.n0
    ii = nu / 2 * sin_lat * cos_lat
    iii = nu / 24 * sin_lat * cos_lat**3 * (5 - t2 + 9 * eta2)
    iiia = nu / 720 * sin_lat * cos_lat**5 * (61 - 58 * t2 + t4)
    iv = nu * cos_lat
    v = nu / 6 * cos_lat**3 * (nu / rho - t2)
    vi = nu / 120 * cos_lat**5 * (5 - 18 * t2 + t4 + 14 * eta2 - 58 * t2 * eta2)
    dl = lon - lon0
    northing = i + ii * dl**2 + iii * dl**4 + iiia * dl**6
    easting = grid.e0 + iv * dl + v * dl**3 + vi * dl**5
    return easting, northing


def _to_cartesian(lat: float, lon: float, ell: Ellipsoid) -> tuple[float, float, float]:
    lat, lon = radians(lat), radians(lon)
    nu = ell.a / sqrt(1 - ell.e2 * sin(lat) ** 2)
    return (
        nu * cos(lat) * cos(lon),
        nu * cos(lat) * sin(lon),
        (1 - ell.e2) * nu * sin(lat),
    )


def _from_cartesian(x: float, y: float, z: float, ell: Ellipsoid) -> tuple[float, float]:
    p = sqrt(x * x + y * y)
    lat = atan2(z, p * (1 - ell.e2))
    for _ in range(10):
        nu = ell.a / sqrt(1 - ell.e2 * sin(lat) ** 2)
        previous, lat = lat, atan2(z + ell.e2 * nu * sin(lat), p)
        if abs(lat - previous) < 1e-12:
            break
    return degrees(lat), degrees(atan2(y, x))


def _shift(
    lat: float, lon: float, helmert: Helmert, source: Ellipsoid, target: Ellipsoid
) -> tuple[float, float]:
    x, y, z = _to_cartesian(lat, lon, source)
    scale = 1 + helmert.s * 1e-6
    rx, ry, rz = (helmert.rx * ARC_SECOND, helmert.ry * ARC_SECOND, helmert.rz * ARC_SECOND)
    x2 = helmert.tx + scale * x - rz * y + ry * z
    y2 = helmert.ty + rz * x + scale * y - rx * z
    z2 = helmert.tz - ry * x + rx * y + scale * z
    return _from_cartesian(x2, y2, z2, target)


def grid_to_wgs84(
    easting: float, northing: float, grid: Grid = BRITISH_NATIONAL_GRID
) -> tuple[float, float]:
    """WGS84 (latitude, longitude) in degrees of a grid reference in metres."""
    lat, lon = grid_to_local_latlon(easting, northing, grid)
    return _shift(lat, lon, grid.to_wgs84, grid.ellipsoid, WGS84)


def wgs84_to_grid(
    lat: float, lon: float, grid: Grid = BRITISH_NATIONAL_GRID
) -> tuple[float, float]:
    """The grid reference (easting, northing) in metres of a WGS84 latitude and longitude."""
    local_lat, local_lon = _shift(lat, lon, grid.to_wgs84.inverse(), WGS84, grid.ellipsoid)
    return local_latlon_to_grid(local_lat, local_lon, grid)


def irish_grid_to_british_grid(easting: float, northing: float) -> tuple[float, float]:
    """Re-express a Northern Ireland grid reference on the British National Grid.

    One grid for the whole UK lets distances be measured by Pythagoras on
    eastings and northings. The National Grid stretches distances in Northern
    Ireland by at most 0.2% (2 metres in a kilometre): negligible for "how far
    away" questions.
    """
    lat, lon = grid_to_wgs84(easting, northing, IRISH_GRID)
    return wgs84_to_grid(lat, lon, BRITISH_NATIONAL_GRID)
