//! sipprov: a SIP device auto-provisioning server.
//!
//! The map, in reading order: `domain` (parsed types and the rules, no I/O), `store` (sled,
//! the only module that knows it), `secret` (generation and hashing of secrets), `vendors`
//! (the device catalogue as data), `render` (tera), `service` (the use cases, the only writer
//! of the store), `http` (hyper and rustls: the phone and admin listeners, and the API
//! client the CLI uses), `config` and `cli`.
#![forbid(unsafe_code)]

pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod render;
pub mod secret;
pub mod service;
pub mod store;
pub mod vendors;

#[cfg(test)]
mod golden;
