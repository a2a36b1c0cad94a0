//! End-to-end tests: the real `llm-chat` binary over real HTTP, on a
//! temporary SQLite file and on a fresh PostgreSQL database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test should stop loudly at the first surprise"
)]

mod helpers;

mod accounts;
mod docs;
mod health;
mod hygiene;
mod startup;
mod store_contract;
mod tokens;
mod ui;
