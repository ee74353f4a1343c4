//! pli-log's tests: a directory replayed from signed statements, checkpoints and their
//! cosignatures, a witness's rule.

mod directory;
mod fixture;
mod note;
mod witness;
