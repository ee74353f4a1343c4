//! The pages' pure logic, compiled natively too so that it is unit tested with the
//! workspace: routing by the fragment ([`route`]), the send form's checks ([`draft`]),
//! the files picked ([`picked`]), the life of a send ([`send`]), safe names for saved
//! files ([`file_name`]), the mailboxes' filters and orders ([`mailbox`]).

pub mod draft;
pub use pli_client::file_name;
pub mod mailbox;
pub mod picked;
pub mod route;
pub mod send;
