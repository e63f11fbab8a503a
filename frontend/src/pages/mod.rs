//! One component per route: the home page, a lesson's first page, a playground (alone or
//! beside a lesson), and "not found".

pub mod home;
pub mod lesson;
pub mod not_found;
pub mod playground;
pub mod try_page;
