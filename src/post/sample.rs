//! The sample bucket of matching-semantics S37.
//!
//! `sample:N` keeps a post when FNV-1a 64 of its decimal id, modulo 100, is below `N`. The
//! bucket depends on the post alone, so a 10 % sample is inside every 20 % sample, and the
//! native, Activity Streams and v2 renderings of one post fall in the same bucket (they share the
//! id). The oracle and the fast matcher both call [`bucket`].

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a 64 of `bytes`.
#[inline]
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    })
}

/// The sample bucket (`0..100`) of the post with id `id`: FNV-1a 64 of the decimal digits of
/// `id` (no sign, no leading zeros), modulo 100.
///
/// ```
/// // Frozen: changing the hash would change every sample.
/// assert_eq!(powertrack::post::sample_bucket(887453193294282752), 70);
/// ```
#[inline]
pub fn bucket(id: u64) -> u8 {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = id;
    loop {
        at -= 1;
        // `n % 10` is below 10, so the cast is exact.
        #[allow(clippy::cast_possible_truncation)]
        let d = (n % 10) as u8;
        digits[at] = b'0' + d;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    #[allow(clippy::cast_possible_truncation)]
    let b = (fnv1a64(&digits[at..]) % 100) as u8;
    b
}
