//! The quai server library.
