//! The right edge of a Merkle tree (RFC 6962): the roots of its perfect subtrees, largest
//! first. Enough to append leaves and compute the root, so a client checks that the
//! entries it is served since its last checkpoint are exactly what the new checkpoint
//! signs, without storing the log. The hashing is `tlog_tiles`'; a test checks the
//! roots against its `tree_hash`.

use serde::{Deserialize, Serialize};
use tlog_tiles::{EMPTY_HASH, Hash, node_hash};

/// A tree's size and the roots of its perfect subtrees (at most 64).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frontier {
    size: u64,
    /// `(height, hash)`, heights strictly decreasing.
    subtrees: Vec<(u8, [u8; 32])>,
}

impl Frontier {
    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf, by its leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut height = 0u8;
        let mut hash = leaf;
        while let Some(&(top, left)) = self.subtrees.last() {
            if top != height {
                break;
            }
            self.subtrees.pop();
            hash = node_hash(Hash(left), hash);
            height = height.saturating_add(1);
        }
        self.subtrees.push((height, hash.0));
        self.size = self.size.saturating_add(1);
    }

    /// The stored hashes (`tlog_tiles`' numbering) of the perfect subtrees: what
    /// `tlog_tiles::stored_hashes` reads to append the next leaf.
    pub fn stored(&self) -> Vec<(u64, Hash)> {
        let mut start = 0u64;
        self.subtrees
            .iter()
            .map(|&(height, hash)| {
                let index = tlog_tiles::stored_hash_index(height, start >> height);
                start = start.saturating_add(1u64 << height);
                (index, Hash(hash))
            })
            .collect()
    }

    /// The tree's root hash.
    pub fn root(&self) -> Hash {
        let mut subtrees = self.subtrees.iter().rev();
        let Some(&(_, last)) = subtrees.next() else {
            return EMPTY_HASH;
        };
        subtrees.fold(Hash(last), |right, &(_, left)| node_hash(Hash(left), right))
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, reason = "a test reads what it wrote")]
mod tests {
    use super::*;
    use tlog_tiles::{HashReader, record_hash, stored_hashes, tree_hash};

    struct Stored(Vec<Hash>);

    impl HashReader for Stored {
        fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
            Ok(indexes
                .iter()
                .map(|&i| self.0[usize::try_from(i).unwrap()])
                .collect())
        }
    }

    #[test]
    fn its_roots_are_tlog_tiles_tree_hashes_at_every_size() {
        let mut stored = Stored(Vec::new());
        let mut frontier = Frontier::default();
        assert_eq!(frontier.root(), EMPTY_HASH);
        for n in 0..300u64 {
            let data = n.to_be_bytes();
            let new = stored_hashes(n, &data, &stored).unwrap();
            stored.0.extend(new);
            let known = frontier.stored();
            for (index, hash) in &known {
                assert_eq!(stored.0[usize::try_from(*index).unwrap()], *hash);
            }
            frontier.push(record_hash(&data));
            assert_eq!(frontier.size(), n + 1);
            assert_eq!(
                frontier.root(),
                tree_hash(n + 1, &stored).unwrap(),
                "size {}",
                n + 1
            );
        }
    }
}
