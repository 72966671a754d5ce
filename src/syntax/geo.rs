//! Geometry of the geo operators' 25-mile limits (rule-language §6.5, E19, E20).

use super::ast::{BoundingBox, KM_PER_MILE, PointRadius};

/// Mean Earth radius in kilometres.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// The limit on radius, width and height, in kilometres (25 miles).
pub(crate) const LIMIT_KM: f64 = 25.0 * KM_PER_MILE;

/// Great-circle distance in kilometres between two (lon, lat) points in degrees (haversine).
pub(crate) fn distance_km(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

/// True when the radius is positive and under 25 miles.
pub(crate) fn radius_ok(p: &PointRadius) -> bool {
    let km = p.radius_km();
    km > 0.0 && km < LIMIT_KM
}

/// The (width, height) of a box in kilometres: the height along the west edge, the width along
/// its parallel nearest the equator (where it is widest). A box whose east edge lies west of its
/// west edge crosses the antimeridian.
pub(crate) fn box_size_km(b: &BoundingBox) -> (f64, f64) {
    let height = distance_km(b.west, b.south, b.west, b.north);
    let mut dlon = b.east - b.west;
    if dlon < 0.0 {
        dlon += 360.0;
    }
    let lat = if b.south <= 0.0 && b.north >= 0.0 {
        0.0
    } else if b.south > 0.0 {
        b.south
    } else {
        b.north
    };
    // Distance along a parallel, not the great circle (which would cut the corner).
    let width = EARTH_RADIUS_KM * dlon.to_radians() * lat.to_radians().cos();
    (width, height)
}

/// True when the box is under 25 miles wide and high.
pub(crate) fn box_ok(b: &BoundingBox) -> bool {
    let (w, h) = box_size_km(b);
    w < LIMIT_KM && h < LIMIT_KM
}
