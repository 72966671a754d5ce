//! Navigation over a simd-json tape by node index.
//!
//! A tape is a flat `[Node]`: an object node is followed by its keys and values, an array node by
//! its items, and each container records how many nodes it spans. Every helper here takes the
//! tape and a node index and never panics: an index past the end, or a node of the wrong type,
//! reads as absent.

use simd_json::{Node, StaticNode};

/// The nodes of one parsed line.
pub(crate) type Nodes<'t, 'p> = &'t [Node<'p>];

/// Sentinel for "no node".
pub(crate) const NONE: u32 = u32::MAX;

/// Number of tape nodes the value at `i` spans (itself included).
#[inline]
pub(crate) fn width(nodes: Nodes<'_, '_>, i: usize) -> usize {
    match nodes.get(i) {
        Some(Node::Object { count, .. } | Node::Array { count, .. }) => count + 1,
        _ => 1,
    }
}

/// Iterator over the `(key, value index)` pairs of the object at `i` (empty when `i` is not an
/// object).
pub(crate) struct Entries<'t, 'p> {
    nodes: Nodes<'t, 'p>,
    next: usize,
    left: usize,
}

impl<'p> Iterator for Entries<'_, 'p> {
    type Item = (&'p str, usize);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let Some(Node::String(key)) = self.nodes.get(self.next) else {
            self.left = 0;
            return None;
        };
        let value = self.next + 1;
        self.next = value + width(self.nodes, value);
        Some((key, value))
    }
}

/// The entries of the object at `i`.
#[inline]
pub(crate) fn entries<'t, 'p>(nodes: Nodes<'t, 'p>, i: usize) -> Entries<'t, 'p> {
    match nodes.get(i) {
        Some(Node::Object { len, .. }) => Entries {
            nodes,
            next: i + 1,
            left: *len,
        },
        _ => Entries {
            nodes,
            next: 0,
            left: 0,
        },
    }
}

/// Iterator over the item indices of the array at `i`.
pub(crate) struct Items<'t, 'p> {
    nodes: Nodes<'t, 'p>,
    next: usize,
    left: usize,
}

impl Iterator for Items<'_, '_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.left == 0 || self.next >= self.nodes.len() {
            return None;
        }
        self.left -= 1;
        let item = self.next;
        self.next = item + width(self.nodes, item);
        Some(item)
    }
}

/// The items of the array at `i` (empty when `i` is not an array).
#[inline]
pub(crate) fn items<'t, 'p>(nodes: Nodes<'t, 'p>, i: usize) -> Items<'t, 'p> {
    match nodes.get(i) {
        Some(Node::Array { len, .. }) => Items {
            nodes,
            next: i + 1,
            left: *len,
        },
        _ => Items {
            nodes,
            next: 0,
            left: 0,
        },
    }
}

/// The items of the array at `i` that are objects (entity lists: any other item is ignored).
#[inline]
pub(crate) fn objects<'t, 'p>(
    nodes: Nodes<'t, 'p>,
    i: usize,
) -> impl Iterator<Item = usize> + use<'t, 'p> {
    items(nodes, i).filter(move |&o| is_object(nodes, o))
}

/// The value of `key` in the object at `i`.
#[inline]
pub(crate) fn get(nodes: Nodes<'_, '_>, i: usize, key: &str) -> Option<usize> {
    entries(nodes, i).find(|(k, _)| *k == key).map(|(_, v)| v)
}

/// True when the node at `i` is an object.
#[inline]
pub(crate) fn is_object(nodes: Nodes<'_, '_>, i: usize) -> bool {
    matches!(nodes.get(i), Some(Node::Object { .. }))
}

/// True when the node at `i` is an array.
#[inline]
pub(crate) fn is_array(nodes: Nodes<'_, '_>, i: usize) -> bool {
    matches!(nodes.get(i), Some(Node::Array { .. }))
}

/// The string at `i`.
#[inline]
pub(crate) fn str_at<'p>(nodes: Nodes<'_, 'p>, i: usize) -> Option<&'p str> {
    match nodes.get(i) {
        Some(Node::String(s)) => Some(s),
        _ => None,
    }
}

/// The boolean at `i`.
#[inline]
pub(crate) fn bool_at(nodes: Nodes<'_, '_>, i: usize) -> Option<bool> {
    match nodes.get(i) {
        Some(Node::Static(StaticNode::Bool(b))) => Some(*b),
        _ => None,
    }
}

/// A non-negative integer at `i`: a JSON integer, or a string of decimal digits (ids, and the
/// `utcOffset`-style numbers Activity Streams writes as strings). Never goes through `f64`.
#[inline]
pub(crate) fn u64_at(nodes: Nodes<'_, '_>, i: usize) -> Option<u64> {
    match nodes.get(i) {
        Some(Node::Static(StaticNode::U64(n))) => Some(*n),
        Some(Node::Static(StaticNode::I64(n))) => u64::try_from(*n).ok(),
        Some(Node::String(s)) => parse_u64(s),
        _ => None,
    }
}

/// A number at `i` as `f64` (coordinates).
#[inline]
#[allow(clippy::cast_precision_loss)]
pub(crate) fn f64_at(nodes: Nodes<'_, '_>, i: usize) -> Option<f64> {
    match nodes.get(i) {
        Some(Node::Static(StaticNode::F64(n))) => Some(*n),
        Some(Node::Static(StaticNode::U64(n))) => Some(*n as f64),
        Some(Node::Static(StaticNode::I64(n))) => Some(*n as f64),
        _ => None,
    }
}

/// Parses a decimal `u64` made only of ASCII digits (no sign, no spaces), without overflow.
#[inline]
pub(crate) fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

/// The tape index as the compact `u32` the scratch space stores.
#[inline]
pub(crate) fn idx(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(NONE)
}
