//! llm-chat: a self-hosted, multi-user chat server for OpenAI-compatible
//! model servers. Layers, top to bottom (nothing calls upward):
//! `cli` → `config` → `http` → services (`auth`, `ops`) → `store`.

pub mod auth;
pub mod chat;
pub mod cli;
pub mod compat;
pub mod config;
pub mod generation;
pub mod http;
pub mod llm;
pub mod logging;
pub mod ops;
pub mod server;
pub mod store;
pub mod transfer;
pub mod usage;
