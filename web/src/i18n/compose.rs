//! Strings of the compose pages.

pub(super) const ENTRIES: &[super::Entry] = &[];
