//! The pages' pure logic, compiled natively too so that it is unit tested with the
//! workspace: routing by the fragment ([`route`]), the send form's checks ([`draft`]),
//! safe names for saved files ([`file_name`]).

pub mod draft;
pub mod file_name;
pub mod route;
