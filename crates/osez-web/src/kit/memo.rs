//! Values a feature computes from the store and keeps while they are
//! current (a consultation's opinion groups): each under a key, with the
//! stamp of the data it was computed from, so that the feature can tell a
//! current value from a stale one and refresh it once, not once per
//! request. Bounded: the least recently made entries go first.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const MAX_ENTRIES: usize = 64;

type Key = (&'static str, i64);

struct Entry {
    stamp: i64,
    made: Instant,
    value: Arc<dyn Any + Send + Sync>,
}

/// A value kept, with the stamp of its data and when it was made.
pub struct Kept<T> {
    pub stamp: i64,
    pub made: Instant,
    pub value: Arc<T>,
}

#[derive(Default)]
pub struct Memo {
    entries: Mutex<HashMap<Key, Entry>>,
    /// Keys being refreshed: one refresh at a time per key.
    refreshing: Mutex<std::collections::HashSet<Key>>,
}

impl Memo {
    pub fn get<T: Any + Send + Sync>(&self, kind: &'static str, id: i64) -> Option<Kept<T>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let e = entries.get(&(kind, id))?;
        let value = e.value.clone().downcast::<T>().ok()?;
        Some(Kept { stamp: e.stamp, made: e.made, value })
    }

    pub fn put<T: Any + Send + Sync>(&self, kind: &'static str, id: i64, stamp: i64, value: Arc<T>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES
            && !entries.contains_key(&(kind, id))
            && let Some(oldest) = entries.iter().min_by_key(|(_, e)| e.made).map(|(k, _)| *k)
        {
            entries.remove(&oldest);
        }
        entries.insert((kind, id), Entry { stamp, made: Instant::now(), value });
    }

    /// Claims the refresh of a key: true for the one caller that should
    /// do it, until it calls [`Memo::refreshed`].
    pub fn claim_refresh(&self, kind: &'static str, id: i64) -> bool {
        self.refreshing.lock().unwrap_or_else(|p| p.into_inner()).insert((kind, id))
    }

    pub fn refreshed(&self, kind: &'static str, id: i64) {
        self.refreshing.lock().unwrap_or_else(|p| p.into_inner()).remove(&(kind, id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_comes_back_with_its_stamp_and_type() {
        let memo = Memo::default();
        memo.put("groups", 1, 7, Arc::new(String::from("a")));
        let kept = memo.get::<String>("groups", 1).unwrap();
        assert_eq!((kept.stamp, kept.value.as_str()), (7, "a"));
        assert!(memo.get::<u32>("groups", 1).is_none(), "another type");
        assert!(memo.get::<String>("groups", 2).is_none());
        for i in 0..200 {
            memo.put("x", i, 0, Arc::new(i));
        }
        assert!(memo.entries.lock().unwrap().len() <= MAX_ENTRIES);
        assert!(memo.claim_refresh("groups", 1));
        assert!(!memo.claim_refresh("groups", 1), "one refresh at a time");
        memo.refreshed("groups", 1);
        assert!(memo.claim_refresh("groups", 1));
    }
}
