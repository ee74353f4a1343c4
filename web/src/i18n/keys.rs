//! The compile-time side of the catalogues: whether a key exists, in `const fn`s that the
//! macros of [`macros`](super::macros) call in a `const`, so that a missing key fails the
//! build. The plain keys are sorted once per build (heapsort, in a `const`) and searched by
//! bisection: a linear walk through the ~900 entries for each of the ~400 checks made
//! `cargo check` of the web crate about 6 s slower.

#![allow(
    clippy::indexing_slicing,
    reason = "compile-time code over arrays of KEY_COUNT: every index is below it, and one out of bounds would fail the build"
)]

use std::cmp::Ordering;

use super::{CATALOGUES, PLURALS};

/// `a` against `b`, byte by byte (the order of `str`), in a `const fn`.
const fn compare(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a, b) {
            ([x, rest_a @ ..], [y, rest_b @ ..]) => {
                if *x != *y {
                    return if *x < *y {
                        Ordering::Less
                    } else {
                        Ordering::Greater
                    };
                }
                a = rest_a;
                b = rest_b;
            }
            ([], []) => return Ordering::Equal,
            ([], _) => return Ordering::Less,
            (_, []) => return Ordering::Greater,
        }
    }
}

/// How many plain entries the catalogues have.
const KEY_COUNT: usize = {
    let mut count = 0;
    let mut catalogues = CATALOGUES;
    while let [catalogue, rest @ ..] = catalogues {
        count += catalogue.len();
        catalogues = rest;
    }
    count
};

/// Every plain key, sorted, computed once per build. A key defined twice fails the build
/// here, with the key as the whole message (a panic in a `const` can only print a `&str`
/// as such).
const SORTED_KEYS: [&str; KEY_COUNT] = {
    let mut keys = [""; KEY_COUNT];
    let mut filled = 0;
    let mut catalogues = CATALOGUES;
    while let [catalogue, rest @ ..] = catalogues {
        let mut entries = *catalogue;
        while let [(key, _, _), more @ ..] = entries {
            keys[filled] = key;
            filled += 1;
            entries = more;
        }
        catalogues = rest;
    }
    // Heapsort: in place, no recursion, n log n.
    let mut start = KEY_COUNT / 2;
    while start > 0 {
        start -= 1;
        sift_down(&mut keys, start, KEY_COUNT);
    }
    let mut end = KEY_COUNT;
    while end > 1 {
        end -= 1;
        keys.swap(0, end);
        sift_down(&mut keys, 0, end);
    }
    let mut i = 1;
    while i < KEY_COUNT {
        assert!(
            !matches!(compare(keys[i - 1], keys[i]), Ordering::Equal),
            "{}",
            keys[i]
        );
        i += 1;
    }
    keys
};

/// Restores the max-heap property of `keys[..end]` below `root`.
const fn sift_down(keys: &mut [&str], mut root: usize, end: usize) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && matches!(compare(keys[child], keys[child + 1]), Ordering::Less) {
            child += 1;
        }
        if !matches!(compare(keys[root], keys[child]), Ordering::Less) {
            return;
        }
        keys.swap(root, child);
        root = child;
    }
}

/// Whether the catalogues have a plain (not plural) text for `key`. A `const fn`: the
/// macros call it at compile time.
pub const fn is_key(key: &str) -> bool {
    let (mut low, mut high) = (0, KEY_COUNT);
    while low < high {
        let middle = low + (high - low) / 2;
        match compare(SORTED_KEYS[middle], key) {
            Ordering::Less => low = middle + 1,
            Ordering::Greater => high = middle,
            Ordering::Equal => return true,
        }
    }
    false
}

/// Whether the catalogues have a plural text for `key` (compile time too).
pub const fn is_plural_key(key: &str) -> bool {
    let mut catalogues = PLURALS;
    while let [catalogue, rest @ ..] = catalogues {
        let mut entries = *catalogue;
        while let [(name, _, _), more @ ..] = entries {
            if matches!(compare(name, key), Ordering::Equal) {
                return true;
            }
            entries = more;
        }
        catalogues = rest;
    }
    false
}
