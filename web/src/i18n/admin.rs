//! Strings of the admin pages.

pub(super) const ENTRIES: &[super::Entry] = &[];
