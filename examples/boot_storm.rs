//! Boot-storm benchmark: N registered phones boot at once.
//!
//! Populates a fresh data directory with one account and N users, each with a T46S of its
//! own (a line, SIP credentials, per-device provisioning credentials); starts the release
//! `sipprov serve` binary on it as a child process; then every phone opens a fresh TLS
//! connection and fetches its model's common file and its own MAC file with its
//! credentials, `--concurrency` phones at a time. Prints requests/s, latency percentiles,
//! errors and the server's peak RSS.
//!
//!     cargo build --release && cargo run --release --example boot_storm -- --phones 10000 --concurrency 64
//!
//! The load generator runs on the same machine as the server and competes for its cores:
//! the figures are a floor for the server, not a ceiling.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use sipprov::http::{Client, RequestSpec, Trust};
use sipprov::render::Renderer;
use sipprov::service::{Service, Settings};
use sipprov::store::Store;
use sipprov::vendors::Catalogue;
use tokio::sync::Semaphore;

struct Options {
    phones: usize,
    concurrency: usize,
    server: PathBuf,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        phones: 10_000,
        concurrency: 64,
        server: default_server()?,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().context("a value after the flag");
        match arg.as_str() {
            "--phones" => options.phones = value()?.parse()?,
            "--concurrency" => options.concurrency = value()?.parse()?,
            "--server" => options.server = value()?.into(),
            other => {
                bail!("unknown argument {other} (use --phones N --concurrency C --server PATH)")
            }
        }
    }
    Ok(options)
}

/// `target/release/sipprov`, beside this example's own directory.
fn default_server() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .context("the example runs from target/<profile>/examples")?;
    Ok(dir.join("sipprov"))
}

/// Credentials of one phone.
struct Phone {
    mac: String,
    username: String,
    password: String,
}

fn populate(data: &Path, phones: usize) -> anyhow::Result<Vec<Phone>> {
    // The server started on this directory finds the data key where it looks by default.
    std::fs::create_dir_all(data)?;
    let keys = sipprov::secret::DataKeys::generate();
    keys.save(&data.join("data.key"))?;
    let store = Store::open(&data.join("db"), keys)?;
    let service = Service::new(
        store,
        Catalogue::init()?,
        Renderer::new(None)?,
        Settings::new(data),
    );
    let account = service
        .create_account(&serde_json::from_value(json!({
            "name": "Bench", "domain": "bench.example.com", "group_name": "bench",
            "registrar": {"host": "sip.bench.example.com"},
            "numbering": {"min_length": 5, "max_length": 5, "ranges": ["10000-99999"], "reserved": []},
        }))?)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let started = Instant::now();
    let mut created = Vec::with_capacity(phones);
    for i in 0..phones {
        let mac = format!("0015650{:05x}", i);
        let user = serde_json::from_value(json!({
            "first_name": format!("Phone {i}"), "device": {"mac": mac, "model": "T46S", "line": 1},
        }))?;
        service
            .create_user(account.id, &user)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let device = service
            .device(mac.parse()?)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        created.push(Phone {
            mac,
            username: device.provisioning.username,
            password: device.provisioning.password,
        });
        if (i + 1) % 1000 == 0 {
            eprintln!(
                "  {} phones registered ({:.0}/s)",
                i + 1,
                (i + 1) as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(created)
}

fn start_server(binary: &Path, dir: &Path) -> anyhow::Result<(Child, SocketAddr)> {
    let mut child = Command::new(binary)
        .args([
            "serve",
            "--phone-listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ])
        .arg("--data")
        .arg(dir.join("data"))
        .arg("--certs")
        .arg(dir.join("certs"))
        .args(["--max-connections", "20000"])
        .env("SIPPROV_LOG", "warn,sipprov::app=info")
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| {
            format!(
                "cannot start {} (run cargo build --release first)",
                binary.display()
            )
        })?;
    let stderr = child.stderr.take().context("the server's stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let address = loop {
        let line = lines
            .next()
            .context("the server exited before listening")??;
        if let Some(rest) = line.split("phone=").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .context("an address")?
                .parse()?;
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok((child, address))
}

/// User + system CPU seconds the process has used so far.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One phone's boot: a fresh TLS connection, the common file, the MAC file.
async fn boot(client: &Client, phone: &Phone) -> Result<[Duration; 2], String> {
    let ua = format!("Yealink SIP-T46S 66.86.0.15 {}", phone.mac);
    let started = Instant::now();
    let mut connection = client.connect().await.map_err(|e| e.to_string())?;
    let common = connection
        .send(RequestSpec::get("/y000000000066.cfg").header("User-Agent", &ua))
        .await
        .map_err(|e| e.to_string())?;
    let first = started.elapsed();
    let auth = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", phone.username, phone.password))
    );
    let second_start = Instant::now();
    let own = connection
        .send(
            RequestSpec::get(format!("/{}.cfg", phone.mac))
                .header("User-Agent", &ua)
                .header("Authorization", auth),
        )
        .await
        .map_err(|e| e.to_string())?;
    let second = second_start.elapsed();
    if common.status != 200 || own.status != 200 {
        return Err(format!("status {} / {}", common.status, own.status));
    }
    Ok([first, second])
}

trait WaitTimeout {
    fn wait_timeout_secs(&mut self, seconds: u64) -> Option<std::process::ExitStatus>;
}

impl WaitTimeout for Child {
    fn wait_timeout_secs(&mut self, seconds: u64) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = options()?;
    let dir = tempfile::tempdir()?;
    eprintln!("registering {} phones…", options.phones);
    let phones = Arc::new(populate(&dir.path().join("data"), options.phones)?);
    let (mut server, address) = start_server(&options.server, dir.path())?;
    let pem = std::fs::read_to_string(dir.path().join("certs").join("cert.pem"))?;
    let client = Arc::new(
        Client::new(&format!("https://{address}"), Trust::pem(&pem)?)?
            .with_timeout(Duration::from_secs(30))
            .without_resumption(),
    );
    eprintln!(
        "booting {} phones, {} at a time, against {address}…",
        options.phones, options.concurrency
    );

    let limit = Arc::new(Semaphore::new(options.concurrency));
    let cpu_before = cpu_seconds(server.id()).unwrap_or(0.0);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..phones.len() {
        let (phones, client, limit) =
            (Arc::clone(&phones), Arc::clone(&client), Arc::clone(&limit));
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            boot(&client, &phones[index]).await
        });
    }
    let mut latencies = Vec::with_capacity(phones.len() * 2);
    let mut errors = Vec::new();
    while let Some(result) = tasks.join_next().await {
        match result? {
            Ok(pair) => latencies.extend(pair),
            Err(error) => errors.push(error),
        }
    }
    let elapsed = started.elapsed();
    let rss = peak_rss_kib(server.id());
    let cpu = cpu_seconds(server.id()).map(|after| after - cpu_before);
    // A graceful stop (SIGTERM), so a profiler wrapping the server can write its report.
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    if server.wait_timeout_secs(30).is_none() {
        server.kill()?;
    }
    latencies.sort();
    let requests = latencies.len();
    println!("phones            {}", options.phones);
    println!("concurrency       {}", options.concurrency);
    println!(
        "requests          {requests} ({} TLS handshakes)",
        options.phones - errors.len()
    );
    println!("elapsed           {:.2} s", elapsed.as_secs_f64());
    println!(
        "requests/s        {:.0}",
        requests as f64 / elapsed.as_secs_f64()
    );
    println!(
        "phones/s          {:.0}",
        (options.phones - errors.len()) as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency p50       {:.1} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3
    );
    println!(
        "latency p99       {:.1} ms",
        percentile(&latencies, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "latency max       {:.1} ms",
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    println!("errors            {}", errors.len());
    for error in errors.iter().take(5) {
        println!("  {error}");
    }
    if let Some(cpu) = cpu {
        let booted = (options.phones - errors.len()).max(1) as f64;
        println!(
            "server CPU        {cpu:.2} s ({:.0} µs per phone: handshake + 2 requests)",
            cpu / booted * 1e6
        );
    }
    match rss {
        Some(kib) => println!("server peak RSS   {:.1} MiB", kib as f64 / 1024.0),
        None => println!("server peak RSS   unknown"),
    }
    Ok(())
}
