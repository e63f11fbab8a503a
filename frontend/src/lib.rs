//! The Quai web app.
