//! Registrar-directory benchmark: HA1 lookups per second over keep-alive connections, as a
//! registrar (Kamailio's `http_client`, one connection per worker) makes them.
//!
//! Seeds a fresh data directory with `--lines` SIP lines through the library's use cases
//! (accounts of at most `--per-account` users, domains `a<k>.bench.example.com`; each user
//! created with a device line: a T46S of its own, or `--lines-per-device` users sharing
//! one), starts the release `sipprov serve` binary on it as a child process, creates a
//! registrar token through the admin API, checks a few answers by hand, then keeps
//! `--connections` keep-alive HTTP/1.1 connections busy with
//! `GET /registrar/v1/ha1?username=U&realm=R` for `--seconds` after `--warmup` seconds:
//! U/R a random seeded line, or (one lookup in ten) an unknown user that must get 404.
//! Every 200 body is compared with MD5(user:realm:password), the password taken from the
//! line view `create_user` returned, so a broken server cannot pass for a fast one. A
//! connection the server ends after its per-connection request limit (`Connection: close`)
//! is reopened, as a registrar's HTTP client does; reconnections are counted, not errors.
//!
//! Prints one markdown table row per run (`--runs`, each on a freshly started server over
//! the same data): lines, connections, lookups/s, latency p50/p99/max, errors, server CPU
//! per lookup and server peak RSS.
//!
//!     scripts/bench directory --lines 100000 --connections 32 --seconds 10 --runs 3
//!
//! 32 connections by default: a registrar's HTTP client keeps one per worker process
//! (Kamailio's `http_client`), and 32 workers is a large registrar. On two cores the
//! throughput is the same from 4 to 32 connections; more only queue, and latency grows with
//! them (p50 ≈ connections / throughput).
//!
//! The load generator (one thread) runs on the same machine as the server and competes for
//! its cores: the figures are a floor for the server, not a ceiling. Each run also says how
//! busy the cores were with anything else; `--wait-idle` waits for an idle machine before
//! each run.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail};
use http::Method;
use md5::{Digest, Md5};
use serde_json::json;
use sipprov::http::{Client, Connection, RequestSpec, Trust};
use sipprov::render::Renderer;
use sipprov::service::{DeviceLineInput, Service, Settings, UserInput};
use sipprov::store::Store;
use sipprov::vendors::Catalogue;

struct Options {
    lines: usize,
    connections: usize,
    seconds: f64,
    warmup: f64,
    runs: usize,
    /// Before each run, wait until other processes leave the cores alone.
    wait_idle: bool,
    per_account: usize,
    lines_per_device: usize,
    /// The server's `SIPPROV_LOG`.
    log: String,
    server: PathBuf,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        lines: 10_000,
        connections: 32,
        seconds: 10.0,
        warmup: 2.0,
        runs: 1,
        wait_idle: false,
        per_account: 1000,
        lines_per_device: 1,
        log: "warn,sipprov::app=info".into(),
        server: default_server()?,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().context("a value after the flag");
        match arg.as_str() {
            "--lines" => options.lines = value()?.parse()?,
            "--connections" => options.connections = value()?.parse()?,
            "--seconds" => options.seconds = value()?.parse()?,
            "--warmup" => options.warmup = value()?.parse()?,
            "--runs" => options.runs = value()?.parse()?,
            "--wait-idle" => options.wait_idle = true,
            "--per-account" => options.per_account = value()?.parse()?,
            "--lines-per-device" => options.lines_per_device = value()?.parse()?,
            "--log" => options.log = value()?,
            "--server" => options.server = value()?.into(),
            other => bail!(
                "unknown argument {other} (use --lines N --connections C --seconds S \
                 --warmup S --runs R --wait-idle --per-account N --lines-per-device 1..16 --log FILTER \
                 --server PATH)"
            ),
        }
    }
    if options.lines == 0 || options.connections == 0 || options.per_account == 0 {
        bail!("--lines, --connections and --per-account must be at least 1");
    }
    if !(1..=16).contains(&options.lines_per_device) {
        bail!("--lines-per-device must be 1 to 16 (a T46S has 16 lines)");
    }
    Ok(options)
}

/// `target/release/sipprov`, beside this example's own directory.
fn default_server() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().and_then(Path::parent);
    Ok(dir
        .context("the example runs from target/<profile>/examples")?
        .join("sipprov"))
}

/// One seeded line: the request that looks it up and the answer it must get.
struct Line {
    path: String,
    /// MD5(user:realm:password) and "\n": the exact body of the 200.
    body: String,
}

fn md5_hex(text: &str) -> String {
    Md5::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn ha1_path(username: &str, realm: &str) -> String {
    format!("/registrar/v1/ha1?username={username}&realm={realm}")
}

/// Creates the lines through the use cases, as an admin would: accounts, then users each
/// with a device line (the device registered by its first user).
fn seed(data: &Path, options: &Options) -> anyhow::Result<Vec<Line>> {
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
    let failed = |e: sipprov::service::Error| anyhow::anyhow!("{e}");
    let started = Instant::now();
    let mut lines = Vec::with_capacity(options.lines);
    let accounts = options.lines.div_ceil(options.per_account);
    let devices_per_account = options.per_account.div_ceil(options.lines_per_device);
    for k in 0..accounts {
        let domain = format!("a{k}.bench.example.com");
        let account = service
            .create_account(&serde_json::from_value(json!({
                "name": format!("Bench {k}"), "domain": domain, "group_name": format!("bench{k}"),
                "registrar": {"host": "sip.bench.example.com"},
                "numbering": {"min_length": 5, "max_length": 5, "ranges": ["10000-99999"], "reserved": []},
            }))?)
            .map_err(failed)?;
        let users = options.per_account.min(options.lines - lines.len());
        for j in 0..users {
            let device = k * devices_per_account + j / options.lines_per_device;
            let user = service
                .create_user(
                    account.id,
                    &UserInput {
                        first_name: Some(format!("User {k}.{j}")),
                        device: Some(DeviceLineInput {
                            mac: Some(format!("001565{device:06x}")),
                            model: Some("T46S".into()),
                            line: Some((j % options.lines_per_device + 1) as u16),
                            ..DeviceLineInput::default()
                        }),
                        ..UserInput::default()
                    },
                )
                .map_err(failed)?;
            let [line] = user.lines.as_slice() else {
                bail!("user {k}.{j} has {} lines, not one", user.lines.len());
            };
            let sip = &line.sip;
            let password = sip.password.as_deref().context("the new line's password")?;
            lines.push(Line {
                path: ha1_path(&sip.username, &sip.domain),
                body: format!(
                    "{}\n",
                    md5_hex(&format!("{}:{}:{password}", sip.username, sip.domain))
                ),
            });
            if lines.len() % 5000 == 0 {
                eprintln!(
                    "  {} lines ({:.0}/s)",
                    lines.len(),
                    lines.len() as f64 / started.elapsed().as_secs_f64()
                );
            }
        }
    }
    eprintln!(
        "seeded {} lines in {accounts} accounts in {:.1} s ({:.0} lines/s)",
        lines.len(),
        started.elapsed().as_secs_f64(),
        lines.len() as f64 / started.elapsed().as_secs_f64()
    );
    Ok(lines)
}

/// Starts `sipprov serve` on `dir`; returns it and its admin listener's address.
fn start_server(options: &Options, dir: &Path) -> anyhow::Result<(Child, SocketAddr)> {
    let mut child = Command::new(&options.server)
        .args(["serve", "--phone-listen", "127.0.0.1:0"])
        .args(["--admin-listen", "127.0.0.1:0"])
        .arg("--data")
        .arg(dir.join("data"))
        .arg("--certs")
        .arg(dir.join("certs"))
        .env("SIPPROV_LOG", &options.log)
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", options.server.display()))?;
    let stderr = child.stderr.take().context("the server's stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let address = loop {
        let line = lines
            .next()
            .context("the server exited before listening")??;
        if let Some(rest) = line.split("admin=").nth(1) {
            let address = rest.split_whitespace().next().context("an address")?;
            break address.parse()?;
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok((child, address))
}

/// Stops the server with SIGTERM (so a profiler wrapping it can write its report).
fn stop_server(mut server: Child) -> anyhow::Result<()> {
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if server.try_wait()?.is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(server.kill()?)
}

/// User + system CPU seconds process `pid` has used so far.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the parenthesised command name, utime and stime are the 12th and 13th fields.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// CPU seconds the whole machine has spent busy (all processes, kernel included).
fn machine_busy_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<f64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .map(|t| t.parse().ok())
        .collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal: all but idle and iowait.
    let busy: f64 = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| ticks.get(i))
        .sum();
    Some(busy / 100.0)
}

/// Waits (10 minutes at most) until the machine has been idle for 3 s — under a tenth of
/// a core busy — so that other work does not pass for the server's slowness.
fn wait_idle() {
    let started = Instant::now();
    loop {
        let before = machine_busy_seconds();
        std::thread::sleep(Duration::from_secs(3));
        let busy = machine_busy_seconds()
            .zip(before)
            .map_or(0.0, |(after, before)| (after - before) / 3.0);
        if busy < 0.1 || started.elapsed() > Duration::from_secs(600) {
            eprintln!(
                "  waited {:.0} s for the machine to be idle ({busy:.2} cores busy)",
                started.elapsed().as_secs_f64()
            );
            return;
        }
    }
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A registrar token, created through the admin API with the first admin token.
async fn registrar_token(client: &Client, data: &Path) -> anyhow::Result<String> {
    let admin = std::fs::read_to_string(data.join("admin-token"))?;
    let created = client
        .send(
            RequestSpec::new(Method::POST, "/api/v1/tokens")
                .header("Authorization", format!("Bearer {}", admin.trim()))
                .header("Content-Type", "application/json")
                .body(json!({"name": "bench", "scope": "registrar"}).to_string()),
        )
        .await?;
    if created.status != 201 {
        bail!("creating the token: {} {}", created.status, created.text());
    }
    let created: serde_json::Value = serde_json::from_slice(&created.body)?;
    Ok(created["token"].as_str().context("a token")?.to_owned())
}

/// What the load sends: the seeded lines, unknown users of the seeded realms, the token.
struct Plan {
    lines: Vec<Line>,
    unknown: Vec<String>,
    authorization: String,
}

impl Plan {
    /// A random lookup: its path and the 200 body it must get (`None`: it must get 404).
    fn pick(&self, random: &mut Random) -> (&str, Option<&str>) {
        let draw = random.next();
        if draw % 10 == 0 {
            let path = &self.unknown[(draw / 10) as usize % self.unknown.len()];
            (path, None)
        } else {
            let line = &self.lines[(draw / 10) as usize % self.lines.len()];
            (&line.path, Some(&line.body))
        }
    }

    async fn lookup(
        &self,
        connection: &mut Connection,
        path: &str,
        expected: Option<&str>,
    ) -> Result<Answer, String> {
        let request = RequestSpec::get(path).header("Authorization", self.authorization.as_str());
        let response = connection
            .send(request)
            .await
            .map_err(|e| format!("{e:#}"))?;
        let body = response.text();
        // The server ends a connection after so many requests, as its answer says.
        let last = response
            .headers
            .get("connection")
            .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"close"));
        match (response.status.as_u16(), expected) {
            (200, Some(expected)) if body == expected => Ok(Answer { found: true, last }),
            (404, None) if body == "not found\n" => Ok(Answer { found: false, last }),
            (status, _) => Err(format!(
                "GET {path}: {status} {body:?}, expected {}",
                expected.map_or("404".into(), |e| format!("200 {e:?}"))
            )),
        }
    }
}

/// A right answer: a 200 with the line's hash or a 404, and whether it closes the connection.
struct Answer {
    found: bool,
    last: bool,
}

/// splitmix64: cheap, and good enough to pick lines.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[derive(Default)]
struct Tally {
    found: u64,
    not_found: u64,
    errors: u64,
    first_error: Option<String>,
    /// Connections the server closed after its per-connection request limit, reopened.
    reconnections: u64,
    /// Microseconds, of the lookups answered inside the measured window.
    latencies: Vec<u32>,
}

/// One connection's loop: lookups until `end`, counting those that start after `measured`.
async fn connection_loop(
    client: Arc<Client>,
    plan: Arc<Plan>,
    seed: u64,
    measured: Instant,
    end: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut random = Random(seed);
    let mut connection = None;
    while Instant::now() < end {
        let open = match connection.as_mut() {
            Some(open) => open,
            None => match client.connect().await {
                Ok(open) => connection.insert(open),
                Err(error) => {
                    tally.errors += 1;
                    tally
                        .first_error
                        .get_or_insert(format!("connect: {error:#}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let (path, expected) = plan.pick(&mut random);
        let started = Instant::now();
        let result = plan.lookup(open, path, expected).await;
        if result.as_ref().is_ok_and(|answer| answer.last) {
            // As a registrar's HTTP client does: open a new connection for the next one.
            connection = None;
            tally.reconnections += 1;
        }
        let counted = started >= measured && Instant::now() <= end;
        if !counted {
            continue;
        }
        match result {
            Ok(answer) => {
                if answer.found {
                    tally.found += 1;
                } else {
                    tally.not_found += 1;
                }
                let micros = started.elapsed().as_micros();
                tally
                    .latencies
                    .push(u32::try_from(micros).unwrap_or(u32::MAX));
            }
            Err(error) => {
                tally.errors += 1;
                tally.first_error.get_or_insert(error);
                connection = None;
            }
        }
    }
    tally
}

fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    f64::from(sorted[((sorted.len() - 1) as f64 * p).round() as usize]) / 1e3
}

/// One run: a fresh server over the seeded data, warm-up, the measured window.
async fn run(options: &Options, dir: &Path, plan: &mut Arc<Plan>) -> anyhow::Result<String> {
    let (server, address) = start_server(options, dir)?;
    let client = Arc::new(Client::new(&format!("http://{address}"), Trust::none())?);
    if plan.authorization.is_empty() {
        let token = registrar_token(&client, &dir.join("data")).await?;
        Arc::get_mut(plan)
            .context("the plan is shared")?
            .authorization = format!("Bearer {token}");
    }
    // A few answers checked one by one before the load: the first and last lines, and 404s.
    let mut connection = client.connect().await?;
    let checks = [0, plan.lines.len() / 2, plan.lines.len() - 1];
    for line in checks.iter().map(|&i| &plan.lines[i]) {
        plan.lookup(&mut connection, &line.path, Some(&line.body))
            .await
            .map_err(anyhow::Error::msg)?;
    }
    plan.lookup(&mut connection, &plan.unknown[0], None)
        .await
        .map_err(anyhow::Error::msg)?;
    drop(connection);

    let pid = server.id();
    let now = Instant::now();
    let measured = now + Duration::from_secs_f64(options.warmup);
    let end = measured + Duration::from_secs_f64(options.seconds);
    let mut tasks = tokio::task::JoinSet::new();
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)?
        .as_nanos() as u64;
    for c in 0..options.connections {
        let seed = seed ^ (c as u64).wrapping_mul(0x2545_f491_4f6c_dd1d);
        tasks.spawn(connection_loop(
            Arc::clone(&client),
            Arc::clone(plan),
            seed,
            measured,
            end,
        ));
    }
    tokio::time::sleep_until(measured.into()).await;
    let server_cpu = cpu_seconds(pid);
    let own_cpu = cpu_seconds(std::process::id());
    let machine = machine_busy_seconds();
    tokio::time::sleep_until(end.into()).await;
    let server_cpu = cpu_seconds(pid).zip(server_cpu).map(|(b, a)| b - a);
    let own_cpu = cpu_seconds(std::process::id())
        .zip(own_cpu)
        .map(|(b, a)| b - a);
    let machine = machine_busy_seconds().zip(machine).map(|(b, a)| b - a);
    let mut total = Tally::default();
    while let Some(tally) = tasks.join_next().await {
        let tally = tally?;
        total.found += tally.found;
        total.not_found += tally.not_found;
        total.errors += tally.errors;
        total.reconnections += tally.reconnections;
        if total.first_error.is_none() {
            total.first_error = tally.first_error;
        }
        total.latencies.extend(tally.latencies);
    }
    let rss = peak_rss_kib(pid);
    stop_server(server)?;

    let lookups = total.found + total.not_found;
    let per_lookup = |cpu: Option<f64>| {
        cpu.map_or("?".into(), |s| {
            format!("{:.0}", s * 1e6 / lookups.max(1) as f64)
        })
    };
    total.latencies.sort_unstable();
    let latencies = &total.latencies;
    eprintln!(
        "  {} found, {} not found, {} errors, {} reconnections (Connection: close); \
         load generator CPU {} µs per lookup",
        total.found,
        total.not_found,
        total.errors,
        total.reconnections,
        per_lookup(own_cpu)
    );
    if let (Some(machine), Some(server), Some(own)) = (machine, server_cpu, own_cpu) {
        let others = (machine - server - own) / options.seconds;
        eprintln!(
            "  cores busy: server {:.2}, load generator {:.2}, everything else {others:.2}{}",
            server / options.seconds,
            own / options.seconds,
            if others > 0.1 {
                " — other work on the machine: these figures are low"
            } else {
                ""
            }
        );
    }
    if let Some(error) = &total.first_error {
        eprintln!("  first error: {error}");
    }
    Ok(format!(
        "| {} | {} | {:.0} | {:.2} ms | {:.2} ms | {:.1} ms | {} | {} µs | {} |",
        plan.lines.len(),
        options.connections,
        lookups as f64 / options.seconds,
        percentile_ms(latencies, 0.50),
        percentile_ms(latencies, 0.99),
        latencies.last().map_or(0.0, |&m| f64::from(m) / 1e3),
        total.errors,
        per_lookup(server_cpu),
        rss.map_or("?".into(), |kib| format!("{:.0} MiB", kib as f64 / 1024.0)),
    ))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let options = options()?;
    let dir = tempfile::tempdir()?;
    eprintln!(
        "seeding {} lines ({} per account, {} per T46S)…",
        options.lines, options.per_account, options.lines_per_device
    );
    let lines = seed(&dir.path().join("data"), &options)?;
    // Unknown users of real realms: the account is found, the user is not.
    let realms: HashSet<&str> = lines
        .iter()
        .filter_map(|line| line.path.rsplit_once("realm=").map(|(_, realm)| realm))
        .collect();
    let mut realms: Vec<&str> = realms.into_iter().collect();
    realms.sort_unstable();
    let unknown = (0..4096)
        .map(|i| {
            ha1_path(
                &format!("{}-nobody{i}", 10000 + i),
                realms[i % realms.len()],
            )
        })
        .collect();
    let mut plan = Arc::new(Plan {
        lines,
        unknown,
        authorization: String::new(),
    });
    println!(
        "Load generator and server share this machine's {} cores; one load-generator thread.",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "| lines | connections | lookups/s | p50 | p99 | max | errors | server CPU per lookup | server peak RSS |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in 1..=options.runs {
        eprintln!(
            "run {n}/{}: {} connections, {} s warm-up, {} s measured…",
            options.runs, options.connections, options.warmup, options.seconds
        );
        if options.wait_idle {
            wait_idle();
        }
        let row = run(&options, dir.path(), &mut plan).await?;
        println!("{row}");
    }
    Ok(())
}
