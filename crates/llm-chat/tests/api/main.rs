//! End-to-end tests: the real `llm-chat` binary over real HTTP, on a
//! temporary SQLite file and on a fresh PostgreSQL database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test should stop loudly at the first surprise"
)]

mod chat_support;
mod helpers;
mod transfer_support;

mod accounts;
mod admin_providers;
mod admin_settings;
mod admin_users;
mod api_keys;
mod chat_faults;
mod chat_flow;
mod chat_isolation;
mod chat_options;
mod chat_reasoning;
mod chat_restart;
mod chat_ws;
mod deployment;
mod docker_files;
mod docs;
mod export;
mod health;
mod hygiene;
mod import_formats;
mod import_hostile;
mod import_roundtrip;
mod metrics;
mod nginx;
mod openai_api;
mod openai_sdk;
mod ops_backup;
mod ops_doctor;
mod search;
mod search_scale;
mod share_content;
mod share_links;
mod startup;
mod store_contract;
mod tokens;
mod ui;
mod usage_limits;
