//! Strings of the platform pages.

pub(super) const ENTRIES: &[super::Entry] = &[];
