//! [`Recent`]: a value read from the database and reused for a moment.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Reference data that nearly every page or API answer names and that rarely changes (the
/// organisations, the catalog's groups), read once and reused for up to `fresh`. The process's
/// own writes [`clear`](Recent::clear) it, so they show at once; other processes' writes show
/// within `fresh`. A read that began before a clear is returned to its caller but not kept,
/// since it may predate the write. When the kept value is merely old, one caller reads it
/// again while the others go on with the old one (no burst of identical reads each period).
#[derive(Debug)]
pub struct Recent<T> {
    fresh: Duration,
    state: Mutex<Slot<T>>,
}

#[derive(Debug)]
struct Slot<T> {
    /// When the kept value's read began, and the value.
    value: Option<(Instant, Arc<T>)>,
    cleared: Option<Instant>,
    /// A caller is reading a value to replace an old one.
    reading: bool,
}

impl<T> Recent<T> {
    pub fn new(fresh: Duration) -> Recent<T> {
        Recent {
            fresh,
            state: Mutex::new(Slot {
                value: None,
                cleared: None,
                reading: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slot<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The kept value if it is fresh, else what `load` reads (kept for the next callers).
    pub async fn get<F, Fut, E>(&self, load: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let _replacing = {
            let mut slot = self.lock();
            match &slot.value {
                Some((at, v)) if at.elapsed() < self.fresh => return Ok(v.clone()),
                Some((_, v)) if slot.reading => return Ok(v.clone()),
                Some(_) => {
                    slot.reading = true;
                    // Lowered however the read ends (also if the caller is dropped).
                    Some(Reading(self))
                }
                None => None,
            }
        };
        let began = Instant::now();
        let v = Arc::new(load().await?);
        let mut slot = self.lock();
        let newer = slot.value.as_ref().is_none_or(|(at, _)| *at <= began);
        if newer && slot.cleared.is_none_or(|c| c < began) {
            slot.value = Some((began, v.clone()));
        }
        Ok(v)
    }

    /// Forgets the value (after this process changed what it was read from).
    pub fn clear(&self) {
        let mut slot = self.lock();
        slot.value = None;
        slot.cleared = Some(Instant::now());
    }
}

/// A read replacing an old value is under way (see [`Recent::get`]).
struct Reading<'a, T>(&'a Recent<T>);

impl<T> Drop for Reading<'_, T> {
    fn drop(&mut self) {
        self.0.lock().reading = false;
    }
}

#[cfg(test)]
mod tests {
    use super::Recent;
    use std::time::Duration;

    async fn read(r: &Recent<u32>, n: u32) -> u32 {
        *r.get(|| async move { Ok::<_, ()>(n) }).await.unwrap()
    }

    #[tokio::test]
    async fn keeps_until_stale_or_cleared() {
        let r = Recent::new(Duration::from_secs(60));
        assert_eq!(read(&r, 1).await, 1);
        assert_eq!(read(&r, 2).await, 1, "fresh: kept");
        r.clear();
        assert_eq!(read(&r, 3).await, 3, "cleared: read again");
        let stale = Recent::new(Duration::ZERO);
        assert_eq!(read(&stale, 1).await, 1);
        assert_eq!(read(&stale, 2).await, 2, "stale: read again");
        // A failed read keeps nothing and says why.
        let failed: Result<_, &str> = r.get(|| async { Err("down") }).await;
        assert!(failed.is_ok(), "the kept value serves without reading");
        r.clear();
        let failed: Result<std::sync::Arc<u32>, &str> = r.get(|| async { Err("down") }).await;
        assert_eq!(failed.unwrap_err(), "down");
        assert_eq!(read(&r, 4).await, 4);
    }

    /// While one caller reads a replacement for an old value, the others get the old one; a
    /// caller dropped mid-read leaves the next one to read.
    #[tokio::test]
    async fn one_caller_replaces_an_old_value() {
        let r = Recent::new(Duration::ZERO);
        assert_eq!(read(&r, 1).await, 1);
        let got = r
            .get(|| async {
                assert_eq!(read(&r, 2).await, 1, "the old value meanwhile");
                Ok::<_, ()>(3)
            })
            .await
            .unwrap();
        assert_eq!(*got, 3);
        let stuck = r.get(std::future::pending::<Result<u32, ()>>);
        let timed_out = tokio::time::timeout(Duration::from_millis(5), stuck).await;
        assert!(timed_out.is_err());
        assert_eq!(
            read(&r, 4).await,
            4,
            "the dropped read no longer blocks reading"
        );
    }

    /// A read that began before a clear (a write committed meanwhile) is not kept.
    #[tokio::test]
    async fn a_read_overtaken_by_a_clear_is_not_kept() {
        let r = Recent::new(Duration::from_secs(60));
        let got = r
            .get(|| async {
                r.clear();
                Ok::<_, ()>(1)
            })
            .await
            .unwrap();
        assert_eq!(*got, 1);
        assert_eq!(read(&r, 2).await, 2);
        assert_eq!(read(&r, 3).await, 2);
    }
}
