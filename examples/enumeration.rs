//! Enumeration benchmark: what a MAC and password enumeration from many addresses gets
//! through the phone listener's failure budgets.
//!
//! Starts a server in-process (the settings of `sipprov serve`: defaults, `SIPPROV_*`
//! variables and the same flags, e.g. `--throttle-global-burst 1000000`), registers one
//! device, then has `--addresses` loopback addresses guess for `--seconds`: 127.0.0.2 …
//! (one /24), or with `--spread` one address in each of as many /24s (127.0.N.9). Each
//! address sends one request after another, each over a fresh TLS connection: four unknown
//! MACs (each once, with the User-Agent a Yealink of that MAC sends) to one wrong password
//! for the registered device. Prints how many guesses reached the credential check (401)
//! and how many were held back (429), per minute, with the server's own counts.
//!
//!     cargo run --release --example enumeration -- --seconds 60 --addresses 49
//!     cargo run --release --example enumeration -- --seconds 60 --addresses 49 --spread
//!
//! Linux only: clients bind 127.0.0.0/8 addresses other than 127.0.0.1, which Linux routes
//! to the loopback interface.

use std::time::{Duration, Instant};

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::Parser;
use serde_json::json;
use sipprov::app::Server;
use sipprov::config::{Config, ServeArgs};
use sipprov::http::{Client, RequestSpec, Trust};

#[derive(Debug, Parser)]
struct Options {
    /// How long the enumeration runs
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Scanning addresses (at most 250)
    #[arg(long, default_value_t = 49)]
    addresses: u8,
    /// One address per /24 instead of all in 127.0.0.0/24
    #[arg(long)]
    spread: bool,
    #[command(flatten)]
    serve: ServeArgs,
}

const KNOWN_MAC: &str = "001565004601";

/// One scanning address: guesses until `deadline`; (seconds since `start`, status) each.
async fn scan(
    client: Client,
    index: usize,
    start: Instant,
    deadline: Instant,
) -> anyhow::Result<Vec<(f64, u16)>> {
    let mut answers = Vec::new();
    let mut probe = 0u32;
    while Instant::now() < deadline {
        let request = if probe % 5 == 4 {
            let guess = STANDARD.encode(format!("{KNOWN_MAC}:guess-{index}-{probe}"));
            RequestSpec::get(format!("/{KNOWN_MAC}.cfg"))
                .header(
                    "User-Agent",
                    "Yealink SIP-T46S 66.86.0.15 00:15:65:00:46:01",
                )
                .header("Authorization", format!("Basic {guess}"))
        } else {
            let mac = format!("0015{index:02x}{probe:06x}");
            let guess = STANDARD.encode(format!("{mac}:guess"));
            RequestSpec::get(format!("/{mac}.cfg"))
                .header("User-Agent", format!("Yealink SIP-T46S 66.86.0.15 {mac}"))
                .header("Authorization", format!("Basic {guess}"))
        };
        let status = client.send(request).await?.status.as_u16();
        answers.push((start.elapsed().as_secs_f64(), status));
        probe += 1;
    }
    Ok(answers)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_writer(std::io::stderr)
        .init();
    let dir = tempfile::tempdir()?;
    let config = Config {
        data_dir: dir.path().join("data"),
        certs_dir: dir.path().join("certs"),
        phone_listen: "127.0.0.1:0".parse()?,
        admin_listen: "127.0.0.1:0".parse()?,
        ..Config::load(&options.serve)?
    };
    let server = Server::start(&config).await?;
    let account = server
        .service()
        .create_account(&serde_json::from_value(json!({
            "name": "Bench", "domain": "bench.example.com",
            "registrar": {"host": "sip.bench.example.com"},
        }))?)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    server
        .service()
        .create_device(
            account.id,
            &serde_json::from_value(json!({"mac": KNOWN_MAC, "model": "T46S"}))?,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let client = Client::new(
        &format!("https://{}", server.phone_address()),
        Trust::pem(server.certificate_pem())?,
    )?
    .with_timeout(Duration::from_secs(30));

    let budgets = config.phone_throttle;
    eprintln!(
        "{} addresses ({}) guess for {} s; budgets per address {}/{:?}, per network {}/{:?}, \
         global {}/{:?}",
        options.addresses,
        if options.spread {
            "one per /24"
        } else {
            "one /24"
        },
        options.seconds,
        budgets.address.burst,
        budgets.address.window,
        budgets.network.burst,
        budgets.network.window,
        budgets.global.burst,
        budgets.global.window,
    );
    let start = Instant::now();
    let deadline = start + Duration::from_secs(options.seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..usize::from(options.addresses.min(250)) {
        let source = if options.spread {
            format!("127.0.{}.9", index + 1)
        } else {
            format!("127.0.0.{}", index + 2)
        };
        let client = client
            .clone()
            .with_local_address(source.parse().context("an address")?);
        tasks.spawn(scan(client, index, start, deadline));
    }
    let mut answers = Vec::new();
    while let Some(done) = tasks.join_next().await {
        answers.extend(done??);
    }

    let minutes = options.seconds.div_ceil(60).max(1);
    println!("minute  requests  reached the check (401)  held back (429)  other");
    for minute in 0..minutes {
        let range = (minute * 60) as f64..((minute + 1) * 60) as f64;
        let in_minute: Vec<u16> = answers
            .iter()
            .filter(|(at, _)| range.contains(at))
            .map(|(_, status)| *status)
            .collect();
        let count = |status: u16| in_minute.iter().filter(|s| **s == status).count();
        println!(
            "{:>6}  {:>8}  {:>23}  {:>15}  {:>5}",
            minute + 1,
            in_minute.len(),
            count(401),
            count(429),
            in_minute.len() - count(401) - count(429)
        );
    }
    let throttle = server.phone_throttle();
    let unclaimed = server
        .service()
        .unclaimed_devices()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("server: failures let through {}", throttle.failures());
    println!("server: trips {:?}", throttle.trips());
    println!(
        "server: unclaimed entries {} ({} requests)",
        unclaimed.len(),
        unclaimed.iter().map(|d| d.requests).sum::<u64>()
    );
    server.stop().await;
    Ok(())
}
