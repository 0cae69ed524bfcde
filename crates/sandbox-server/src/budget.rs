//! The server's memory budget for buffered request bodies (see `body`):
//! what one request holds of it, waiting for room when there is none.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The memory budget of buffered request bodies, in bytes.
#[derive(Debug, Clone)]
pub struct BodyBudget {
    bytes: Arc<Semaphore>,
    total: usize,
}

impl BodyBudget {
    /// A budget of `total` bytes.
    pub fn new(total: usize) -> Self {
        let total = total.min(Semaphore::MAX_PERMITS);
        Self {
            bytes: Arc::new(Semaphore::new(total)),
            total,
        }
    }

    /// The whole budget, in bytes.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Bytes charged to requests now.
    pub fn in_use(&self) -> usize {
        self.total - self.bytes.available_permits()
    }
}

/// What one request holds of the budget.
pub(crate) struct Charge {
    budget: BodyBudget,
    held: Option<OwnedSemaphorePermit>,
    amount: usize,
}

impl Charge {
    pub(crate) fn new(budget: &BodyBudget) -> Self {
        Self {
            budget: budget.clone(),
            held: None,
            amount: 0,
        }
    }

    /// Grows the charge to `amount` bytes, waiting for room until
    /// `deadline`; `false` when there is none by then.
    pub(crate) async fn grow_to(&mut self, amount: usize, deadline: Instant) -> bool {
        if amount <= self.amount {
            return true;
        }
        let more = (amount - self.amount).min(self.budget.total);
        let Ok(more) = u32::try_from(more) else {
            return false;
        };
        let acquired = tokio::time::timeout_at(
            deadline,
            Arc::clone(&self.budget.bytes).acquire_many_owned(more),
        )
        .await;
        let Ok(Ok(permit)) = acquired else {
            return false;
        };
        match &mut self.held {
            Some(held) => held.merge(permit),
            None => self.held = Some(permit),
        }
        self.amount = amount;
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn charges_wait_for_room_and_give_it_back() {
        let budget = BodyBudget::new(100);
        let soon = || Instant::now() + Duration::from_millis(50);
        let mut first = Charge::new(&budget);
        assert!(first.grow_to(60, soon()).await);
        assert!(first.grow_to(80, soon()).await);
        assert_eq!(budget.in_use(), 80);
        let mut second = Charge::new(&budget);
        assert!(!second.grow_to(40, soon()).await, "no room yet");
        drop(first);
        assert!(second.grow_to(40, soon()).await);
        assert_eq!(budget.in_use(), 40);
        drop(second);
        assert_eq!(budget.in_use(), 0);
    }
}
