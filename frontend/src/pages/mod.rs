//! One component per route: the home page, a playground, and "not found".

pub mod home;
pub mod not_found;
pub mod playground;
