//! The organisations' names as the platform root certified them (verified by the worker),
//! kept from one page to the next and read again in the background.

use std::cell::RefCell;
use std::collections::HashMap;

use leptos::prelude::*;
use pli_api::OrgId;

use crate::i18n::t;

/// Organisation names by id.
pub(crate) type OrgNames = HashMap<OrgId, String>;

thread_local! {
    /// The names last read, shown at once while they are read again.
    static ORG_NAMES: RefCell<OrgNames> = RefCell::new(HashMap::new());
}

/// The names of the organisations in the directory, as the platform root certified them
/// (the worker verifies: an entry that does not is left out, and shows as unknown).
async fn certified_org_names() -> Option<OrgNames> {
    let names = crate::bridge::call(crate::protocol::OrgNames).await.ok()?;
    Some(names.into_iter().collect())
}

/// Certified organisation names, as a signal filled in the background.
pub(crate) fn org_names() -> RwSignal<OrgNames> {
    let names = RwSignal::new(ORG_NAMES.with(|cache| cache.borrow().clone()));
    leptos::task::spawn_local(async move {
        if let Some(fresh) = certified_org_names().await {
            ORG_NAMES.with(|cache| *cache.borrow_mut() = fresh.clone());
            names.set(fresh);
        }
    });
    names
}

/// The name of organisation `id`, or "unknown organisation".
pub(crate) fn org_name(names: &OrgNames, id: &OrgId) -> String {
    names
        .get(id)
        .cloned()
        .unwrap_or_else(|| t!("mailbox.unknown_org"))
}
