//! Geographic primitives shared by the reference evaluator and the compiled matcher.
//!
//! PowerTrack's geo operators take a circle (`point_radius:`, `profile_point_radius:`) or a
//! box (`bounding_box:`, `profile_bounding_box:`), both under 25 miles across, and match a post
//! whose exact point lies inside, or whose place's bounding box lies wholly inside
//! (matching-semantics S34). At that size the sphere is flat to well under a metre, so "a box
//! lies inside a circle" is "its four corners do", and distances are great-circle (haversine)
//! distances.

/// The mean Earth radius in kilometres (IUGG), used by haversine distances.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Kilometres in one international mile.
pub const KM_PER_MILE: f64 = 1.609_344;

/// The great-circle distance in kilometres between two points given as (lon, lat) degrees.
///
/// # Example
///
/// ```
/// // Boulder, CO to Denver, CO: about 39 km.
/// let d = powertrack::geo::distance_km((-105.2705, 40.0150), (-104.9903, 39.7392));
/// assert!((d - 38.8).abs() < 0.5);
/// ```
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lat2) = (a.1.to_radians(), b.1.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.0 - a.0).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Whether point `p` (lon, lat) lies within `radius_km` of `centre` (boundary included).
pub fn in_circle(p: (f64, f64), centre: (f64, f64), radius_km: f64) -> bool {
    distance_km(p, centre) <= radius_km
}

/// Whether `point` (lon, lat) lies in `bbox` `[west, south, east, north]` (edges included).
///
/// A box whose west edge is east of its east edge crosses the antimeridian.
pub fn in_box(point: (f64, f64), bbox: [f64; 4]) -> bool {
    let [west, south, east, north] = bbox;
    let (lon, lat) = point;
    let lon_ok = if west <= east {
        west <= lon && lon <= east
    } else {
        lon >= west || lon <= east
    };
    lon_ok && south <= lat && lat <= north
}

/// The four corners of box `[west, south, east, north]` as (lon, lat).
pub fn corners(b: [f64; 4]) -> [(f64, f64); 4] {
    let [west, south, east, north] = b;
    [(west, south), (east, south), (east, north), (west, north)]
}

/// Whether box `inner` lies wholly within `radius_km` of `centre`.
pub fn box_in_circle(inner: [f64; 4], centre: (f64, f64), radius_km: f64) -> bool {
    corners(inner)
        .iter()
        .all(|&c| in_circle(c, centre, radius_km))
}

/// Whether box `inner` lies wholly inside box `outer`.
pub fn box_in_box(inner: [f64; 4], outer: [f64; 4]) -> bool {
    corners(inner).iter().all(|&c| in_box(c, outer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert!(distance_km((0.0, 0.0), (0.0, 0.0)).abs() < 1e-12);
        // One degree of latitude is about 111.2 km.
        assert!((distance_km((10.0, 0.0), (10.0, 1.0)) - 111.195).abs() < 0.01);
        // Antipodes: half the circumference.
        let half = std::f64::consts::PI * EARTH_RADIUS_KM;
        assert!((distance_km((0.0, 0.0), (180.0, 0.0)) - half).abs() < 1e-6);
        assert!((KM_PER_MILE * 25.0 - 40.2336).abs() < 1e-9);
    }

    #[test]
    fn circles_and_boxes() {
        let boulder = (-105.273_465_17, 40.019_247_38);
        assert!(in_circle((-105.25, 40.0), boulder, 10.0 * KM_PER_MILE));
        assert!(!in_circle((-104.99, 39.74), boulder, 10.0 * KM_PER_MILE));
        let b = [-105.301_758, 39.964_069, -105.178_505, 40.094_55];
        assert!(in_box((-105.25, 40.0), b));
        assert!(in_box((-105.301_758, 39.964_069), b));
        assert!(!in_box((-105.4, 40.0), b));
        assert!(box_in_circle(b, boulder, 10.0 * KM_PER_MILE));
        assert!(!box_in_circle(b, boulder, 5.0));
        assert!(box_in_box([-105.3, 40.0, -105.2, 40.05], b));
        assert!(!box_in_box([-105.3, 40.0, -105.1, 40.05], b));
        // Across the antimeridian.
        assert!(in_box((179.9, 0.0), [179.8, -1.0, -179.8, 1.0]));
        assert!(in_box((-179.9, 0.0), [179.8, -1.0, -179.8, 1.0]));
        assert!(!in_box((0.0, 0.0), [179.8, -1.0, -179.8, 1.0]));
    }
}
