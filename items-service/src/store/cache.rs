//! Items this process read, kept per HTTP worker thread, for a database only
//! this process writes ([`shared::db::Database::writes_only_here`]): then
//! every write passes through [`ItemCache::writing`], and an answer from the
//! cache is never older than the last committed write.
//!
//! The rule: a write bumps `generation` before it starts and again once it
//! has committed (or failed). A read is kept only if `generation` did not
//! move while it ran, and a kept read is served only while `generation` is
//! what it was. A write that committed after a kept read started bumped
//! `generation` after its commit, so after the read started: before the
//! read was kept (it was not kept) or after (it is not served).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use super::Item;

/// Names kept per store and thread; past this that cache starts again.
const MAX_KEPT: usize = 4096;

/// The cache of one store.
#[derive(Debug, Clone)]
pub(super) struct ItemCache {
    /// Tells this store's entries from another's on the same thread.
    id: u64,
    /// Bumped by every write, before and after.
    generation: Arc<AtomicU64>,
}

/// The generation a read began in.
#[derive(Debug, Clone, Copy)]
pub(super) struct ReadStart(u64);

/// Held by a write from before it starts until it has committed or failed.
#[derive(Debug)]
pub(super) struct Writing(Arc<AtomicU64>);

impl Drop for Writing {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Per store, per name: the generation a read was kept in, and what it found.
type Kept = HashMap<u64, HashMap<String, (u64, Option<Arc<Item>>)>>;

thread_local! {
    static KEPT: RefCell<Kept> = RefCell::new(HashMap::new());
}

impl ItemCache {
    pub(super) fn new() -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        Self {
            id: NEXT_ID.fetch_add(1, SeqCst),
            generation: Arc::default(),
        }
    }

    /// Marks a write under way, until the guard drops.
    pub(super) fn writing(&self) -> Writing {
        self.generation.fetch_add(1, SeqCst);
        Writing(self.generation.clone())
    }

    /// The item named `name` as last read (`Some(None)`: known absent), if
    /// nothing was written since.
    pub(super) fn get(&self, name: &str) -> Option<Option<Arc<Item>>> {
        let generation = self.generation.load(SeqCst);
        KEPT.with_borrow(|kept| {
            kept.get(&self.id)?
                .get(name)
                .filter(|(kept_at, _)| *kept_at == generation)
                .map(|(_, item)| item.clone())
        })
    }

    /// To call before reading the database.
    pub(super) fn start_read(&self) -> ReadStart {
        ReadStart(self.generation.load(SeqCst))
    }

    /// Keeps what a read that began at `start` found, if no write began or
    /// ended since.
    pub(super) fn keep(&self, start: ReadStart, name: &str, item: &Option<Arc<Item>>) {
        let generation = start.0;
        if self.generation.load(SeqCst) != generation {
            return;
        }
        KEPT.with_borrow_mut(|kept| {
            let store = kept.entry(self.id).or_default();
            if store.len() >= MAX_KEPT {
                store.clear();
            }
            store.insert(name.to_owned(), (generation, item.clone()));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(price: f64) -> Option<Arc<Item>> {
        Some(Arc::new(Item {
            name: "a".into(),
            price,
            created_by: "u".into(),
            created_at: "t".into(),
            updated_at: "t".into(),
            written: Default::default(),
        }))
    }

    #[test]
    fn a_kept_read_is_served_until_a_write_starts() {
        let cache = ItemCache::new();
        let start = cache.start_read();
        cache.keep(start, "a", &item(1.0));
        assert_eq!(cache.get("a"), Some(item(1.0)));
        let write = cache.writing();
        assert_eq!(cache.get("a"), None, "a write under way");
        drop(write);
        assert_eq!(cache.get("a"), None, "a write committed");
        // Kept during a write (the old value, not yet replaced): not served
        // once it commits.
        let write = cache.writing();
        cache.keep(cache.start_read(), "a", &item(2.0));
        assert_eq!(
            cache.get("a"),
            Some(item(2.0)),
            "the write has not committed"
        );
        drop(write);
        assert_eq!(cache.get("a"), None);
    }

    #[test]
    fn a_read_overlapping_a_write_is_not_kept() {
        let cache = ItemCache::new();
        // The write began before the read.
        let write = cache.writing();
        let start = cache.start_read();
        drop(write);
        cache.keep(start, "a", &item(1.0));
        assert_eq!(cache.get("a"), None);
        // The write began while the read ran.
        let start = cache.start_read();
        let write = cache.writing();
        cache.keep(start, "a", &item(1.0));
        drop(write);
        assert_eq!(cache.get("a"), None);
    }

    #[test]
    fn stores_do_not_share_entries() {
        let (one, other) = (ItemCache::new(), ItemCache::new());
        one.keep(one.start_read(), "a", &item(1.0));
        assert_eq!(other.get("a"), None);
        assert_eq!(one.get("a"), Some(item(1.0)));
    }
}
