//! A set of positions kept as inclusive ranges: the reader's unresolved gaps are usually a few
//! positions of transactions still in flight, but a pruned stretch of the journal is one gap of
//! millions of positions, which must cost one entry, not millions.

use std::collections::BTreeMap;

/// Positions as disjoint, non-adjacent inclusive ranges, keyed by their start.
#[derive(Debug, Default, Clone)]
pub struct Ranges(BTreeMap<i64, i64>);

impl Ranges {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many ranges (not positions) the set holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The smallest position in the set.
    pub fn first(&self) -> Option<i64> {
        self.0.keys().next().copied()
    }

    /// The ranges, in order.
    pub fn iter(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.0.iter().map(|(&a, &b)| (a, b))
    }

    /// Add `from..=to` (no-op when empty).
    pub fn insert(&mut self, mut from: i64, mut to: i64) {
        if from > to {
            return;
        }
        // Merge with every range that overlaps or touches.
        if let Some((&a, &b)) = self.0.range(..=from).next_back() {
            if b >= from - 1 {
                from = a;
                to = to.max(b);
                self.0.remove(&a);
            }
        }
        while let Some((&a, &b)) = self.0.range(from..).next() {
            if a > to + 1 {
                break;
            }
            to = to.max(b);
            self.0.remove(&a);
        }
        self.0.insert(from, to);
    }

    /// Whether `p` is in the set.
    #[cfg(test)]
    pub fn contains(&self, p: i64) -> bool {
        self.0.range(..=p).next_back().is_some_and(|(_, &b)| b >= p)
    }

    /// Remove `p`; whether it was there.
    pub fn remove(&mut self, p: i64) -> bool {
        let Some((&a, &b)) = self.0.range(..=p).next_back() else {
            return false;
        };
        if b < p {
            return false;
        }
        self.0.remove(&a);
        if a < p {
            self.0.insert(a, p - 1);
        }
        if p < b {
            self.0.insert(p + 1, b);
        }
        true
    }

    /// Remove every position up to `p`, returning the ranges removed.
    pub fn remove_through(&mut self, p: i64) -> Vec<(i64, i64)> {
        let mut removed = Vec::new();
        while let Some((&a, &b)) = self.0.iter().next() {
            if a > p {
                break;
            }
            self.0.remove(&a);
            removed.push((a, b.min(p)));
            if b > p {
                self.0.insert(p + 1, b);
            }
        }
        removed
    }

    /// Remove every position above `p`.
    pub fn remove_above(&mut self, p: i64) {
        let above: Vec<i64> = self.0.range(p + 1..).map(|(&a, _)| a).collect();
        for a in above {
            self.0.remove(&a);
        }
        if let Some((&a, &b)) = self.0.range(..=p).next_back() {
            if b > p {
                self.0.insert(a, p);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(r: &Ranges) -> Vec<(i64, i64)> {
        r.iter().collect()
    }

    #[test]
    fn inserts_merge_and_removes_split() {
        let mut r = Ranges::default();
        r.insert(5, 7);
        r.insert(1, 2);
        r.insert(3, 3);
        assert_eq!(list(&r), [(1, 3), (5, 7)]);
        r.insert(4, 4);
        assert_eq!(list(&r), [(1, 7)]);
        r.insert(10, 1_000_000);
        assert!(r.contains(500_000) && !r.contains(8));
        assert!(r.remove(4));
        assert!(!r.remove(4));
        assert_eq!(list(&r), [(1, 3), (5, 7), (10, 1_000_000)]);
        assert_eq!(r.remove_through(6), [(1, 3), (5, 6)]);
        assert_eq!(list(&r), [(7, 7), (10, 1_000_000)]);
        r.remove_above(11);
        assert_eq!(list(&r), [(7, 7), (10, 11)]);
        assert_eq!(r.first(), Some(7));
        assert_eq!(r.len(), 2);
    }
}
