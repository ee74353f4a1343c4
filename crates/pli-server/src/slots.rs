//! Caps on what runs at once: part uploads per account and in all, live-event streams per
//! account. A request past a cap is answered `busy` at once rather than queued (as the
//! password-hashing slots are, `routes::common::password_work`), and the slot it takes is
//! a guard: it comes back when the request ends, however it ends (answered, failed, or
//! dropped because the client went away).
//!
//! The counts are this replica's: behind a load balancer each replica has its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pli_api::UserId;

/// Slots per account, and in all.
#[derive(Debug)]
pub struct Slots {
    per_account: usize,
    total: usize,
    held: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    by_account: HashMap<UserId, usize>,
    total: usize,
}

impl Slots {
    /// At most `per_account` slots for one account and `total` for all (each at least 1).
    pub fn new(per_account: usize, total: usize) -> Arc<Self> {
        Arc::new(Self {
            per_account: per_account.max(1),
            total: total.max(1),
            held: Mutex::default(),
        })
    }

    /// A slot for `account`, or `None` if the account, or everyone together, holds all
    /// theirs.
    pub fn try_take(self: &Arc<Self>, account: UserId) -> Option<Slot> {
        let mut held = self.lock();
        let mine = held.by_account.get(&account).copied().unwrap_or(0);
        if mine >= self.per_account || held.total >= self.total {
            return None;
        }
        held.by_account.insert(account, mine + 1);
        held.total += 1;
        Some(Slot {
            slots: Arc::clone(self),
            account,
        })
    }

    /// How many slots are taken, all accounts together.
    pub fn in_use(&self) -> usize {
        self.lock().total
    }

    /// How many slots `account` holds.
    pub fn held_by(&self, account: &UserId) -> usize {
        self.lock().by_account.get(account).copied().unwrap_or(0)
    }

    /// The counts. Nothing panics while holding them, so a poisoned lock still holds
    /// consistent counts.
    fn lock(&self) -> MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A slot taken; given back when dropped.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<Slots>,
    account: UserId,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.slots.lock();
        held.total = held.total.saturating_sub(1);
        match held.by_account.get_mut(&self.account) {
            Some(mine) if *mine > 1 => *mine -= 1,
            _ => {
                held.by_account.remove(&self.account);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_capped_per_account_and_in_all_and_come_back_when_dropped() {
        let slots = Slots::new(2, 3);
        let (a, b) = (UserId::from_bytes([1; 16]), UserId::from_bytes([2; 16]));
        let a1 = slots.try_take(a).unwrap();
        let a2 = slots.try_take(a).unwrap();
        assert!(slots.try_take(a).is_none(), "per account");
        let b1 = slots.try_take(b).unwrap();
        assert!(slots.try_take(b).is_none(), "in all");
        assert_eq!((slots.in_use(), slots.held_by(&a)), (3, 2));
        drop(a1);
        let b2 = slots.try_take(b).unwrap();
        drop((a2, b1, b2));
        assert_eq!(
            (slots.in_use(), slots.held_by(&a), slots.held_by(&b)),
            (0, 0, 0)
        );
        assert!(slots.held.lock().unwrap().by_account.is_empty());
    }
}
