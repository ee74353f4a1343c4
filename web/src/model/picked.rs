//! The files picked on the send page: the same file picked twice (same name, size and
//! modification time) is listed once, and each keeps a key stable within the page so
//! that "Retirer" removes the one clicked even after others were removed. Generic over
//! the browser's `File` handle, so that it is unit tested natively.

/// One picked file, and the handle the worker reads it through.
#[derive(Debug, Clone, PartialEq)]
pub struct Picked<F> {
    /// Stable within the page.
    pub key: u32,
    /// The browser's handle.
    pub file: F,
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its modification time (milliseconds), to tell two files of one name apart.
    pub modified: f64,
}

/// The files picked, in the order they were picked.
#[derive(Debug, Clone)]
pub struct PickedFiles<F> {
    files: Vec<Picked<F>>,
    next_key: u32,
}

impl<F> Default for PickedFiles<F> {
    fn default() -> Self {
        Self {
            files: Vec::new(),
            next_key: 0,
        }
    }
}

/// What adding files did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Added {
    /// How many were added.
    pub count: usize,
    /// The names of those already in the list, not added again.
    pub duplicates: Vec<String>,
    /// How many of those added are empty (0 bytes).
    pub empty: usize,
}

impl<F> PickedFiles<F> {
    /// Adds each `(handle, name, size, modified)`, skipping those already picked.
    pub fn add(&mut self, files: impl IntoIterator<Item = (F, String, u64, f64)>) -> Added {
        let mut added = Added::default();
        for (file, name, size, modified) in files {
            if self
                .files
                .iter()
                .any(|p| p.name == name && p.size == size && p.modified == modified)
            {
                added.duplicates.push(name);
                continue;
            }
            let key = self.next_key;
            self.next_key = key.wrapping_add(1);
            self.files.push(Picked {
                key,
                file,
                name,
                size,
                modified,
            });
            added.count += 1;
            if size == 0 {
                added.empty += 1;
            }
        }
        added
    }

    /// Removes the file with `key`; returns its name.
    pub fn remove(&mut self, key: u32) -> Option<String> {
        let at = self.files.iter().position(|p| p.key == key)?;
        Some(self.files.remove(at).name)
    }

    /// Empties the list (after a send).
    pub fn clear(&mut self) {
        self.files.clear();
    }

    /// The files, in order.
    pub fn files(&self) -> &[Picked<F>] {
        &self.files
    }

    /// The names of the empty (0-byte) files, in order.
    pub fn empty_names(&self) -> Vec<String> {
        self.files
            .iter()
            .filter(|p| p.size == 0)
            .map(|p| p.name.clone())
            .collect()
    }

    /// Their total size.
    pub fn total(&self) -> u64 {
        self.files.iter().map(|p| p.size).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::{Added, PickedFiles};

    fn file(name: &str, size: u64, modified: f64) -> ((), String, u64, f64) {
        ((), name.to_owned(), size, modified)
    }

    #[test]
    fn the_same_file_twice_is_listed_once_and_named() {
        let mut picked = PickedFiles::default();
        assert_eq!(
            picked.add([file("a.pdf", 1, 1.0), file("b.pdf", 2, 1.0)]),
            Added {
                count: 2,
                duplicates: vec![],
                empty: 0,
            }
        );
        // Same name, other size or date: another file.
        assert_eq!(
            picked.add([
                file("a.pdf", 1, 1.0),
                file("a.pdf", 3, 1.0),
                file("b.pdf", 2, 2.0)
            ]),
            Added {
                count: 2,
                duplicates: vec!["a.pdf".into()],
                empty: 0,
            }
        );
        assert_eq!(picked.files().len(), 4);
        assert_eq!(picked.total(), 8);
    }

    #[test]
    fn removing_by_key_removes_the_one_clicked_and_keys_are_never_reused() {
        let mut picked = PickedFiles::default();
        picked.add([file("a.pdf", 1, 1.0), file("b.pdf", 2, 1.0)]);
        let b = picked.files()[1].key;
        assert_eq!(picked.remove(picked.files()[0].key), Some("a.pdf".into()));
        assert_eq!(picked.remove(picked.files()[0].key), Some("b.pdf".into()));
        assert_eq!(picked.remove(b), None, "already removed");
        picked.add([file("c.pdf", 1, 1.0)]);
        assert_ne!(picked.files()[0].key, b);
        picked.clear();
        assert!(picked.files().is_empty());
    }

    #[test]
    fn empty_files_are_counted_when_added_and_named_in_order() {
        let mut picked = PickedFiles::default();
        let added = picked.add([
            file("vide.pdf", 0, 1.0),
            file("a.pdf", 1, 1.0),
            file("aussi vide.txt", 0, 1.0),
        ]);
        assert_eq!(added.empty, 2);
        assert_eq!(picked.empty_names(), ["vide.pdf", "aussi vide.txt"]);
        // Picked again: a duplicate, not another empty file.
        assert_eq!(picked.add([file("vide.pdf", 0, 1.0)]).empty, 0);
        picked.remove(picked.files()[0].key);
        assert_eq!(picked.empty_names(), ["aussi vide.txt"]);
    }
}
