//! The integration tests: the real server, over real TLS, on `127.0.0.1:0`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod app;
mod cli;
mod client;
mod contract;
mod enumeration;
mod files;
mod firmware;
mod kamailio;
mod limits;
mod line_keys;
mod phone;
mod phone_model;
mod privilege;
mod register;
mod registrar;
mod replace;
mod sealing;
mod settings;
mod shutdown;
mod support;
mod tls;
mod ui;
mod web_passwords;
mod webdriver;
