//! One component per route: the home page, a lesson's first page, a playground (alone or
//! beside a lesson), joining a class, the instructor's pages (sign-in and classes, the
//! password set through a sign-in link, a class's page with its live roster), and "not found".

pub mod class_page;
pub mod home;
pub mod join;
pub mod lesson;
pub mod not_found;
pub mod playground;
pub mod teach;
pub mod try_page;
pub mod welcome;
