//! Strings of the admin pages (and of the dialogs they share with the platform page), one
//! file per panel.

pub(super) mod audit;
pub(super) mod invitations;
pub(super) mod keys;
pub(super) mod log_policy;
pub(super) mod members;
pub(super) mod post_quantum;
pub(super) mod retention;
pub(super) mod second_factor;
