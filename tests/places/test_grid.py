"""Grid references to latitude and longitude, against published points."""

from math import hypot

import pytest

from places.grid import (
    BRITISH_NATIONAL_GRID,
    IRISH_GRID,
    grid_to_local_latlon,
    grid_to_wgs84,
    irish_grid_to_british_grid,
    local_latlon_to_grid,
    wgs84_to_grid,
)

# A degree of latitude is about 111 km; of longitude at 52-55 degrees north, about 65-68 km.
METRES_PER_DEGREE_LAT = 111_000
METRES_PER_DEGREE_LON = 65_000


def dms(degrees: int, minutes: int, seconds: float) -> float:
    return degrees + minutes / 60 + seconds / 3600


def metres_apart(a: tuple[float, float], b: tuple[float, float]) -> float:
    return hypot(
        (a[0] - b[0]) * METRES_PER_DEGREE_LAT,
        (a[1] - b[1]) * METRES_PER_DEGREE_LON,
    )


# Ordnance Survey, "A guide to coordinate systems in Great Britain", worked example
# (Caister water tower): OSGB36 latitude and longitude and its National Grid reference.
OS_EXAMPLE_GRID = (651409.903, 313177.270)
OS_EXAMPLE_OSGB36 = (dms(52, 39, 27.2531), dms(1, 43, 4.5177))


def test_projection_matches_the_ordnance_survey_worked_example_to_a_millimetre():
    easting, northing = local_latlon_to_grid(*OS_EXAMPLE_OSGB36, BRITISH_NATIONAL_GRID)
    assert easting == pytest.approx(OS_EXAMPLE_GRID[0], abs=0.001)
    assert northing == pytest.approx(OS_EXAMPLE_GRID[1], abs=0.001)

    latlon = grid_to_local_latlon(*OS_EXAMPLE_GRID, BRITISH_NATIONAL_GRID)
    assert metres_apart(latlon, OS_EXAMPLE_OSGB36) < 0.001


def test_national_grid_to_wgs84_applies_the_helmert_shift():
    # The same point through the standard seven-parameter Helmert shift, as given by
    # other implementations of the OS formulae (52°39'28.723"N, 1°42'57.787"E).
    latlon = grid_to_wgs84(*OS_EXAMPLE_GRID)
    assert metres_apart(latlon, (dms(52, 39, 28.723), dms(1, 42, 57.787))) < 0.05


# OS's OSTN15 test points (developer pack, ETRS89 to OSGB36): the definitive transformation.
# ETRS89 and WGS84 agree to under a metre in the UK.
OSTN15_POINTS = {
    "St Mary's, Scilly": ((49.92226393730, -6.29977752014), (91492.146, 11318.804)),
    "Former OSHQ": ((50.93127937910, -1.45051433700), (438710.920, 114792.250)),
    "Lambeth": ((51.48936564950, -0.11992557180), (530624.974, 178388.464)),
    "Colchester": ((51.89436637350, 0.89724327012), (599445.590, 225722.826)),
    "STFC, Daresbury": ((53.34480280190, -2.64049320810), (357455.843, 383290.436)),
    "Blackpool Airport": ((53.77911025760, -3.04045490691), (331534.564, 431920.794)),
    "Glasgow": ((55.85399952950, -4.29649016251), (256340.925, 664697.269)),
    "Hirta, St Kilda": ((57.81351838410, -8.57854456076), (9587.909, 899448.996)),
    "Dounreay Airfield": ((58.58120461280, -3.72631022121), (299721.891, 967202.992)),
    "Foula": ((60.13308091660, -2.07382822798), (395999.668, 1138728.951)),
}


@pytest.mark.parametrize("place", sorted(OSTN15_POINTS))
def test_within_five_metres_of_ostn15_across_great_britain(place):
    latlon, grid_ref = OSTN15_POINTS[place]
    easting, northing = wgs84_to_grid(*latlon)
    assert hypot(easting - grid_ref[0], northing - grid_ref[1]) < 5


def test_daresbury_near_halton_within_two_metres():
    # The nearest OS test point to Halton, where the starter data lives.
    latlon, grid_ref = OSTN15_POINTS["STFC, Daresbury"]
    assert metres_apart(grid_to_wgs84(*grid_ref), latlon) < 2


def test_round_trip_is_within_a_centimetre():
    for easting, northing in [(351329, 382947), (91492, 11318), (395999, 1138728)]:
        back = wgs84_to_grid(*grid_to_wgs84(easting, northing))
        assert hypot(back[0] - easting, back[1] - northing) < 0.01


def test_irish_grid_belfast():
    # BT1 1AA's Irish Grid reference; the expected value is PROJ's (EPSG:29903 to
    # EPSG:4326, the same Helmert parameters), central Belfast.
    latlon = grid_to_wgs84(334316, 374675, IRISH_GRID)
    assert metres_apart(latlon, (54.6024448, -5.9222915)) < 1


def test_irish_grid_on_the_national_grid_keeps_distances():
    # Northern Ireland on the National Grid: west of Belfast and a kilometre apart.
    a = irish_grid_to_british_grid(330000, 370000)
    b = irish_grid_to_british_grid(331000, 370000)
    assert hypot(b[0] - a[0], b[1] - a[1]) == pytest.approx(1000, rel=0.002)
    # Belfast lies west of the Isle of Man and north of Anglesey on the National Grid.
    belfast = irish_grid_to_british_grid(334316, 374675)
    assert belfast == pytest.approx((146778, 530104), abs=1)
