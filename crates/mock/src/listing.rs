//! Which contacts a listing holds, in `updated_at` order, without storing any of them.
//!
//! Untouched contact `id` has offset `id` (seconds after the base time); a touched one has
//! an offset past every base offset and every earlier touch. Offsets are therefore unique,
//! and "every contact with offset >= `from`" is the untouched ids in `from..=records`
//! followed by the touched ids in touch order: each page costs O(page + touches).
//!
//! A deleted contact is gone from every listing and lookup (as an API that
//! deletes without telling anyone); a silently edited one has a bumped
//! `version` but keeps its `updated_at` (a change no incremental sync sees).

use std::collections::{BTreeMap, BTreeSet};

use crate::data::{Item, splitmix64};

/// The touched contacts of one server.
#[derive(Debug, Default)]
pub(crate) struct Touches {
    records: u64,
    seed: u64,
    /// Touched id -> its current item.
    by_id: BTreeMap<u64, Item>,
    /// Touch offset -> id, for the touched ids still at that offset.
    by_time: BTreeMap<u64, u64>,
    /// How many ids were touched so far (numbers each touch).
    touched: u64,
    /// How many touch calls were made so far (seeds the next choice).
    calls: u64,
    /// Deleted ids: listed nowhere, found by no lookup.
    deleted: BTreeSet<u64>,
    /// The same ids in the order they were deleted (the tombstone endpoint).
    deleted_order: Vec<u64>,
    /// Ids not at their base offset: touched or deleted (the untouched
    /// listing skips them).
    off_base: BTreeSet<u64>,
    /// Silent edits per id: added to its `version`, `updated_at` unmoved.
    edits: BTreeMap<u64, u64>,
}

impl Touches {
    pub(crate) fn new(records: u64, seed: u64) -> Self {
        Self {
            records,
            seed,
            ..Self::default()
        }
    }

    /// Touches `count` distinct ids (at most all of them), spread over the id range;
    /// returns them in touch order.
    pub(crate) fn touch(&mut self, count: u64) -> Vec<u64> {
        let (records, count) = (self.records, count.min(self.records));
        let start = splitmix64(self.seed ^ splitmix64(self.calls)) % records.max(1);
        self.calls += 1;
        let ids: Vec<u64> = (0..count)
            .map(|i| {
                1 + (start + (u128::from(i) * u128::from(records) / u128::from(count)) as u64)
                    % records
            })
            .filter(|id| !self.deleted.contains(id))
            .collect();
        for &id in &ids {
            let version = match self.by_id.get(&id) {
                Some(old) => {
                    self.by_time.remove(&old.updated);
                    old.version + 1
                }
                None => 2,
            };
            let updated = records + 1000 + self.touched;
            self.touched += 1;
            self.by_id.insert(
                id,
                Item {
                    id,
                    updated,
                    version,
                },
            );
            self.by_time.insert(updated, id);
            self.off_base.insert(id);
        }
        ids
    }

    /// Deletes the contacts `ids` (ids out of range or deleted already are
    /// left out); returns the ones deleted.
    pub(crate) fn delete(&mut self, ids: &[u64]) -> Vec<u64> {
        let mut done = Vec::new();
        for &id in ids {
            if id == 0 || id > self.records || !self.deleted.insert(id) {
                continue;
            }
            if let Some(old) = self.by_id.remove(&id) {
                self.by_time.remove(&old.updated);
            }
            self.off_base.insert(id);
            self.edits.remove(&id);
            self.deleted_order.push(id);
            done.push(id);
        }
        done
    }

    /// The deleted ids, in the order they were deleted.
    pub(crate) fn deleted_ids(&self) -> Vec<u64> {
        self.deleted_order.clone()
    }

    /// Edits the contacts `ids` silently: `version` goes up by one, `updated_at`
    /// stays (ids out of range or deleted are left out); returns the ones edited.
    pub(crate) fn edit(&mut self, ids: &[u64]) -> Vec<u64> {
        let mut done = Vec::new();
        for &id in ids {
            if id == 0 || id > self.records || self.deleted.contains(&id) {
                continue;
            }
            *self.edits.entry(id).or_insert(0) += 1;
            done.push(id);
        }
        done
    }

    /// The current state of contact `id`, or `None` if no such contact exists.
    pub(crate) fn item(&self, id: u64) -> Option<Item> {
        if id == 0 || id > self.records || self.deleted.contains(&id) {
            return None;
        }
        Some(self.edited(self.by_id.get(&id).copied().unwrap_or(Item::base(id))))
    }

    /// `item` with its silent edits applied.
    fn edited(&self, mut item: Item) -> Item {
        item.version += self.edits.get(&item.id).copied().unwrap_or(0);
        item
    }

    /// The first `limit` items with offset >= `from`, and whether more follow.
    pub(crate) fn after(&self, from: u64, limit: usize) -> (Vec<Item>, bool) {
        let mut out = Vec::with_capacity(limit.saturating_add(1).min(1024));
        self.untouched_from(from.max(1), limit + 1, &mut out);
        let rest = limit + 1 - out.len();
        out.extend(self.touched_from(from).take(rest));
        let more = out.len() > limit;
        out.truncate(limit);
        (out, more)
    }

    /// How many items have offset >= `from`.
    pub(crate) fn count(&self, from: u64) -> u64 {
        self.untouched_count(from.max(1)) + self.touched_from(from).count() as u64
    }

    /// Items `position..position + limit` of the listing of offsets >= `from`.
    pub(crate) fn slice(&self, from: u64, position: u64, limit: usize) -> Vec<Item> {
        let lo = from.max(1);
        let untouched = self.untouched_count(lo);
        let mut out = Vec::with_capacity(limit.min(1024));
        if position < untouched {
            // The `position`-th untouched id at or after `lo`.
            let mut id = lo + position;
            for &t in self.off_base.range(lo..) {
                if t > id {
                    break;
                }
                id += 1;
            }
            self.untouched_from(id, limit, &mut out);
            let rest = limit - out.len();
            out.extend(self.touched_from(from).take(rest));
        } else {
            let skip = usize::try_from(position - untouched).unwrap_or(usize::MAX);
            out.extend(self.touched_from(from).skip(skip).take(limit));
        }
        out
    }

    /// Pushes untouched ids `lo..=records` onto `out` until it holds `max` items.
    fn untouched_from(&self, lo: u64, max: usize, out: &mut Vec<Item>) {
        let mut skip = self.off_base.range(lo..).copied().peekable();
        let mut id = lo;
        while id <= self.records && out.len() < max {
            if skip.peek() == Some(&id) {
                skip.next();
            } else {
                out.push(self.edited(Item::base(id)));
            }
            id += 1;
        }
    }

    fn untouched_count(&self, lo: u64) -> u64 {
        if lo > self.records {
            return 0;
        }
        self.records - lo + 1 - self.off_base.range(lo..).count() as u64
    }

    fn touched_from(&self, from: u64) -> impl Iterator<Item = Item> + '_ {
        self.by_time
            .range(from..)
            .filter_map(|(_, id)| self.by_id.get(id).copied())
            .map(|item| self.edited(item))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(t: &Touches, from: u64, limit: usize) -> Vec<Item> {
        let (mut all, mut from) = (Vec::new(), from);
        loop {
            let (page, more) = t.after(from, limit);
            if let Some(last) = page.last() {
                from = last.updated + 1;
            }
            all.extend(page);
            if !more {
                return all;
            }
        }
    }

    #[test]
    fn keyset_and_positional_listings_agree() {
        let mut t = Touches::new(50, 3);
        for count in [0, 3, 7, 3] {
            t.touch(count);
            for from in [0, 1, 10, 49, 50, 51, 1000, 1005, 2000] {
                let all = walk(&t, from, 4);
                assert_eq!(all.len() as u64, t.count(from));
                assert!(all.windows(2).all(|w| w[0].updated < w[1].updated));
                assert!(all.iter().all(|i| i.updated >= from));
                for pos in 0..all.len() + 2 {
                    let want: Vec<_> = all.iter().skip(pos).take(4).copied().collect();
                    assert_eq!(t.slice(from, pos as u64, 4), want, "from {from} pos {pos}");
                }
            }
        }
        let mut ids: Vec<_> = walk(&t, 0, 7).iter().map(|i| i.id).collect();
        ids.sort_unstable();
        assert_eq!(ids, (1..=50).collect::<Vec<_>>());
    }

    #[test]
    fn deleted_ids_are_listed_nowhere_and_edits_keep_updated_at() {
        let mut t = Touches::new(50, 3);
        t.touch(5);
        let touched = t.touch(1)[0];
        assert_eq!(t.delete(&[2, 7, touched, 7, 99]), [2, 7, touched]);
        assert_eq!(t.edit(&[3, 2]), [3], "a deleted id is not edited");
        for from in [0, 1, 3, 51, 1000] {
            let all = walk(&t, from, 4);
            assert_eq!(all.len() as u64, t.count(from));
            assert!(all.iter().all(|i| ![2, 7, touched].contains(&i.id)));
            for pos in 0..all.len() + 2 {
                let want: Vec<_> = all.iter().skip(pos).take(4).copied().collect();
                assert_eq!(t.slice(from, pos as u64, 4), want, "from {from} pos {pos}");
            }
        }
        assert_eq!(walk(&t, 0, 7).len(), 47);
        assert_eq!(t.item(7), None);
        let three = t.item(3).expect("3 exists");
        assert_eq!((three.version, three.updated), (2, 3), "edited, not moved");
        assert!(t.touch(50).iter().all(|id| ![2, 7, touched].contains(id)));
    }

    #[test]
    fn touch_picks_distinct_ids_after_every_base_time() {
        let mut t = Touches::new(100, 1);
        let ids = t.touch(10);
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 10);
        let (page, more) = t.after(101, 100);
        assert!(!more);
        assert_eq!(page.iter().map(|i| i.id).collect::<Vec<_>>(), ids);
        assert!(page.iter().all(|i| i.version == 2));
        assert_eq!(t.touch(1000).len(), 100);
    }
}
