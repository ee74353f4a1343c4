//! Strings of the exchange pages.

pub(super) const ENTRIES: &[super::Entry] = &[];
