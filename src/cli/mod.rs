//! The command line: `sipprov serve` runs the server; the admin commands are clients of the
//! admin API (sled allows one process per database, and the server owns it).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::Server;
use crate::config::{Config, ServeArgs};

/// SIP device auto-provisioning server.
#[derive(Debug, Parser)]
#[command(name = "sipprov", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: phones on 0.0.0.0:8443 (HTTPS), admins on 127.0.0.1:8081
    Serve(ServeArgs),
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            Command::Serve(args) => serve(&args).await,
        }
    }
}

async fn serve(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(args)?;
    let server = Server::start(&config).await?;
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
