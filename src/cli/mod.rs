//! The command line: `sipprov serve` runs the server; the admin commands are clients of the
//! admin API (sled allows one process per database, and the server owns it).

use std::process::ExitCode;

/// `println!` for the commands' output: a reader that went away (`sipprov … | head`) ends
/// the command quietly, as it does for other Unix tools, instead of a panic.
macro_rules! say {
    () => {
        $crate::cli::write_out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` for output that brings its own line ends (a preview).
macro_rules! say_raw {
    ($($arg:tt)*) => {
        $crate::cli::write_out(format_args!($($arg)*))
    };
}

/// Writes to standard output; a closed pipe exits with success, other errors with 1.
pub(crate) fn write_out(text: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(error) = out.write_fmt(text).and_then(|()| out.flush()) {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("sipprov: cannot write the output: {error}");
        std::process::exit(1);
    }
}

mod admin;
mod api;
mod firmware;
mod settings;
mod table;

use clap::{Parser, Subcommand};

use self::admin::{
    AccountCommand, DeviceCommand, LineCommand, RegistrarCommand, TokenCommand, UnclaimedCommand,
    UserCommand,
};
use self::api::{ApiFailure, Connection};
use self::firmware::FirmwareCommand;
use crate::app::Server;
use crate::config::{Config, ServeArgs};

/// SIP device auto-provisioning server.
#[derive(Debug, Parser)]
#[command(name = "sipprov", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: phones on 0.0.0.0:8443 (HTTPS), admins on 127.0.0.1:8081
    Serve(ServeArgs),
    /// Prepare the data directory, the first admin token and the certificate, then exit
    Init {
        #[command(flatten)]
        args: ServeArgs,
        /// Mint a new admin token into <data>/admin-token even though tokens exist: the way
        /// back into a data directory whose admin tokens are lost (run it with the server
        /// stopped)
        #[arg(long)]
        new_admin_token: bool,
    },
    /// Customer accounts
    Account {
        #[command(subcommand)]
        command: AccountCommand,
        #[command(flatten)]
        connection: Connection,
    },
    /// Users of an account
    User {
        #[command(subcommand)]
        command: UserCommand,
        #[command(flatten)]
        connection: Connection,
    },
    /// Desk phones and DECT bases
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
        #[command(flatten)]
        connection: Connection,
    },
    /// Device lines
    Line {
        #[command(subcommand)]
        command: LineCommand,
        #[command(flatten)]
        connection: Connection,
    },
    /// Devices that asked for their file without being registered
    Unclaimed {
        #[command(subcommand)]
        command: UnclaimedCommand,
        #[command(flatten)]
        connection: Connection,
    },
    /// API tokens: admin, read-only, or registrar
    Token {
        #[command(subcommand)]
        command: TokenCommand,
        #[command(flatten)]
        connection: Connection,
    },
    /// Phone settings: set them on an account, a profile or a device; show a device's
    /// effective settings; preview its file
    Settings {
        #[command(subcommand)]
        command: settings::SettingsCommand,
        #[command(flatten)]
        connection: Connection,
    },
    /// Device profiles: named settings assigned to many devices
    Profile {
        #[command(subcommand)]
        command: settings::ProfileCommand,
        #[command(flatten)]
        connection: Connection,
    },
    /// Rotate the data key: a new key seals every record, without stopping the server
    Rekey {
        #[command(flatten)]
        connection: Connection,
    },
    /// The firmware repository: upload images, pin versions, stage rollouts
    Firmware {
        #[command(subcommand)]
        command: FirmwareCommand,
        #[command(flatten)]
        connection: Connection,
    },
    /// The registrar directory: export its rows, count its lookups
    Registrar {
        #[command(subcommand)]
        command: RegistrarCommand,
        #[command(flatten)]
        connection: Connection,
    },
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        let admin = match self.command {
            Command::Serve(args) => return serve(&args).await,
            Command::Init {
                args,
                new_admin_token,
            } => {
                let config = Config::load(&args)?;
                let (service, _) = crate::app::prepare(&config)?;
                if new_admin_token {
                    crate::app::write_recovery_token(&service, &config.data_dir)?;
                }
                return Ok(ExitCode::SUCCESS);
            }
            Command::Account {
                command,
                connection,
            } => admin::account(&connection, command).await,
            Command::User {
                command,
                connection,
            } => admin::user(&connection, command).await,
            Command::Device {
                command,
                connection,
            } => admin::device(&connection, command).await,
            Command::Line {
                command,
                connection,
            } => admin::line(&connection, command).await,
            Command::Unclaimed {
                command,
                connection,
            } => admin::unclaimed(&connection, command).await,
            Command::Token {
                command,
                connection,
            } => admin::token(&connection, command).await,
            Command::Firmware {
                command,
                connection,
            } => firmware::firmware(&connection, command).await,
            Command::Registrar {
                command,
                connection,
            } => admin::registrar(&connection, command).await,
            Command::Rekey { connection } => admin::rekey(&connection).await,
            Command::Settings {
                command,
                connection,
            } => settings::settings(&connection, command).await,
            Command::Profile {
                command,
                connection,
            } => settings::profile(&connection, command).await,
        };
        match admin {
            Ok(()) => Ok(ExitCode::SUCCESS),
            // A refusal by the server: its message and fields, and exit code 1.
            Err(error) if error.downcast_ref::<ApiFailure>().is_some() => {
                eprintln!("sipprov: {error}");
                Ok(ExitCode::FAILURE)
            }
            Err(error) => Err(error),
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
