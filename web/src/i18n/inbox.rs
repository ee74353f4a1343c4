//! Strings of the inbox pages.

pub(super) const ENTRIES: &[super::Entry] = &[];
