//! A coarse grid over the globe, so geo tests are candidates only for posts located nearby.
//!
//! Cells are half a degree on a side. A geo test is indexed under every cell its area may
//! touch (a conservative cover); a post contributes the cell of its exact point and the cell of
//! its place box's south-west corner (a box wholly inside an area has that corner inside it
//! too). Areas near the poles, whose cover would be huge, are not indexed: their rules are
//! evaluated for every post instead, which is slower but just as correct.

use super::ir::Area;

/// Cells per degree.
const PER_DEGREE: f64 = 2.0;
const LAT_CELLS: i64 = 360;
const LON_CELLS: i64 = 720;
/// Kilometres per degree of latitude on the mean sphere (`geo::EARTH_RADIUS_KM`).
const KM_PER_DEGREE: f64 = crate::geo::EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;
/// The most cells an area may be indexed under.
const MAX_CELLS: usize = 64;

#[allow(clippy::cast_possible_truncation)]
fn lat_index(lat: f64) -> i64 {
    (((lat + 90.0) * PER_DEGREE).floor() as i64).clamp(0, LAT_CELLS - 1)
}

#[allow(clippy::cast_possible_truncation)]
fn lon_index(lon: f64) -> i64 {
    (((lon + 180.0).rem_euclid(360.0) * PER_DEGREE).floor() as i64).rem_euclid(LON_CELLS)
}

fn key(lat: i64, lon: i64) -> [u8; 4] {
    // Indices are clamped to 0..360 and 0..720, so they fit.
    let (lat, lon) = (
        u16::try_from(lat).unwrap_or(0),
        u16::try_from(lon).unwrap_or(0),
    );
    let [a, b] = lat.to_le_bytes();
    let [c, d] = lon.to_le_bytes();
    [a, b, c, d]
}

/// The cell of point (lon, lat), or `None` for a non-finite point.
pub(crate) fn cell(lon: f64, lat: f64) -> Option<[u8; 4]> {
    (lon.is_finite() && lat.is_finite()).then(|| key(lat_index(lat), lon_index(lon)))
}

/// Every cell that `area` may touch, or `None` when there would be too many to index.
pub(crate) fn covering(area: &Area) -> Option<Vec<[u8; 4]>> {
    let (west, south, east, north) = match *area {
        Area::Circle { lon, lat, km } => {
            if !(lon.is_finite() && lat.is_finite() && km.is_finite()) {
                return None;
            }
            // A margin of 1 % keeps the cover conservative against rounding.
            let dlat = km / KM_PER_DEGREE * 1.01 + 1e-9;
            let (south, north) = (lat - dlat, lat + dlat);
            let widest = south.abs().max(north.abs());
            if widest >= 89.0 {
                return None;
            }
            let dlon = dlat / widest.to_radians().cos();
            (lon - dlon, south, lon + dlon, north)
        }
        Area::Box([west, south, east, north]) => (west, south, east, north),
    };
    if ![west, south, east, north].iter().all(|v| v.is_finite()) || south > north {
        return None;
    }
    let lon_span = if west <= east {
        east - west
    } else {
        east + 360.0 - west
    };
    if lon_span >= 10.0 {
        return None;
    }
    let (lat0, lat1) = (lat_index(south), lat_index(north));
    let lon0 = lon_index(west);
    let lon_cells = (lon_index(east) - lon0).rem_euclid(LON_CELLS) + 1;
    let count = usize::try_from((lat1 - lat0 + 1) * lon_cells).ok()?;
    if count > MAX_CELLS {
        return None;
    }
    let mut cells = Vec::with_capacity(count);
    for lat in lat0..=lat1 {
        for k in 0..lon_cells {
            cells.push(key(lat, (lon0 + k).rem_euclid(LON_CELLS)));
        }
    }
    Some(cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::{KM_PER_MILE, box_in_circle, in_box, in_circle};

    #[test]
    fn covers_every_point_inside() {
        let areas = [
            Area::Circle {
                lon: -105.273,
                lat: 40.019,
                km: 10.0 * KM_PER_MILE,
            },
            Area::Circle {
                lon: 179.9,
                lat: -16.5,
                km: 40.0,
            },
            Area::Circle {
                lon: 0.0,
                lat: 70.0,
                km: 40.0,
            },
            Area::Box([-105.30, 39.96, -105.17, 40.09]),
            Area::Box([179.8, -1.0, -179.8, 1.0]),
        ];
        for area in &areas {
            let cells = covering(area).unwrap();
            // Sample a fine grid of points around the area; every point inside has its cell
            // in the cover.
            for i in -60..=60 {
                for j in -60..=60 {
                    let (lon, lat, inside) = match *area {
                        Area::Circle { lon, lat, km } => {
                            let p = (lon + f64::from(i) * 0.02, lat + f64::from(j) * 0.01);
                            (p.0, p.1, in_circle(p, (lon, lat), km))
                        }
                        Area::Box(b) => {
                            let p = (b[0] + f64::from(i) * 0.005, b[1] + f64::from(j) * 0.005);
                            (p.0, p.1, in_box(p, b))
                        }
                    };
                    if inside {
                        assert!(
                            cells.contains(&cell(lon, lat).unwrap()),
                            "{area:?} {lon} {lat}"
                        );
                    }
                }
            }
        }
        let small = [-105.25, 40.0, -105.24, 40.01];
        assert!(box_in_circle(small, (-105.273, 40.019), 16.0));
    }

    #[test]
    fn refuses_huge_or_polar_covers() {
        assert_eq!(
            covering(&Area::Circle {
                lon: 0.0,
                lat: 89.5,
                km: 40.0
            }),
            None
        );
        assert_eq!(covering(&Area::Box([-20.0, 0.0, 20.0, 1.0])), None);
        assert_eq!(
            covering(&Area::Circle {
                lon: f64::NAN,
                lat: 0.0,
                km: 1.0
            }),
            None
        );
        assert_eq!(cell(f64::NAN, 0.0), None);
        assert_eq!(cell(180.0, 90.0), cell(-180.0, 89.9));
    }
}
