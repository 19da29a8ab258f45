//! Real SIP peers for the tests: Kamailio (Debian's `kamailio`, with
//! `kamailio-utils-modules` and `kamailio-sqlite-modules`) running a shipped configuration
//! of `registrars/kamailio/` on a free loopback UDP port, its SQLite `subscriber` table
//! (Kamailio's own schema, loaded with Debian's `sqlite3`), and `sipsak` registering through
//! it. `scripts/test` installs them; `SIPPROV_KAMAILIO` and `SIPPROV_SIPSAK` may name other
//! binaries.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

fn binary(variable: &str, default: &str, package: &str) -> PathBuf {
    let path = PathBuf::from(std::env::var(variable).unwrap_or_else(|_| default.to_owned()));
    assert!(
        path.exists(),
        "{} is missing: install Debian's {package} (scripts/test does) or set {variable}",
        path.display()
    );
    path
}

/// A UDP port nobody listens on right now.
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .map(|address| address.port())
        .expect("a free UDP port")
}

/// A running Kamailio; stopped (its whole process group, by PID) when dropped.
pub struct Kamailio {
    child: Child,
    pub port: u16,
    dir: TempDir,
}

impl Kamailio {
    /// Starts the shipped `registrars/kamailio/<config>` with `environment` (its settings)
    /// in `dir`, and waits until it answers SIP.
    pub fn start(config: &str, environment: &[(&str, &str)], dir: TempDir) -> Kamailio {
        let kamailio = binary("SIPPROV_KAMAILIO", "/usr/sbin/kamailio", "kamailio");
        let config = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("registrars/kamailio")
            .join(config);
        let port = free_udp_port();
        let log = std::fs::File::create(dir.path().join("kamailio.log")).unwrap();
        let child = std::os::unix::process::CommandExt::process_group(
            Command::new(kamailio)
                .arg("-DD")
                .arg("-E")
                .arg("-f")
                .arg(&config)
                .arg("-l")
                .arg(format!("udp:127.0.0.1:{port}"))
                .arg("-P")
                .arg(dir.path().join("kamailio.pid"))
                .arg("-Y")
                .arg(dir.path())
                .envs(environment.iter().copied())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log),
            0,
        )
        .spawn()
        .expect("kamailio starts");
        let mut kamailio = Kamailio { child, port, dir };
        kamailio.wait_until_answering();
        kamailio
    }

    /// Sends OPTIONS until Kamailio answers (the configuration answers it 405).
    fn wait_until_answering(&mut self) {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let local = socket.local_addr().unwrap();
        let probe = format!(
            "OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK-probe\r\n\
             From: <sip:probe@127.0.0.1>;tag=probe\r\nTo: <sip:127.0.0.1>\r\nCall-ID: probe@127.0.0.1\r\n\
             CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
            port = self.port
        );
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut buffer = [0; 2048];
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("kamailio exited ({status}):\n{}", self.log());
            }
            socket
                .send_to(probe.as_bytes(), ("127.0.0.1", self.port))
                .unwrap();
            if let Ok(count) = socket.recv(&mut buffer) {
                if buffer[..count].starts_with(b"SIP/2.0 ") {
                    return;
                }
            }
        }
        panic!("kamailio did not answer within 15 s:\n{}", self.log());
    }

    /// Asserts that `account` registers (200), saying `why` it should.
    pub async fn accepts(&self, account: &SipAccount, why: &str) {
        let got = register(account).await;
        assert_eq!(got, Registration::Ok, "{why}: {account:?}\n{}", self.log());
    }

    /// Asserts that `account` is refused (401), saying `why` it should be.
    pub async fn refuses(&self, account: &SipAccount, why: &str) {
        let got = register(account).await;
        assert_eq!(
            got,
            Registration::Unauthorized,
            "{why}: {account:?}\n{}",
            self.log()
        );
    }

    /// What Kamailio logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("kamailio.log")).unwrap_or_default()
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        // The whole group: Kamailio's main process and the workers it forked.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// Runs `sqlite3 DATABASE` with `sql` on its standard input.
pub fn sqlite(database: &Path, sql: &[u8]) {
    use std::io::Write;
    let sqlite3 = binary("SIPPROV_SQLITE3", "/usr/bin/sqlite3", "sqlite3");
    let mut child = Command::new(sqlite3)
        .arg(database)
        .stdin(Stdio::piped())
        .spawn()
        .expect("sqlite3 runs");
    child.stdin.take().unwrap().write_all(sql).unwrap();
    assert!(child.wait().unwrap().success(), "sqlite3 accepts the SQL");
}

/// A SQLite database with Kamailio's `subscriber` table, from Kamailio's own schema.
pub fn subscriber_database(dir: &Path) -> PathBuf {
    let database = dir.join("kamailio.db");
    for schema in ["standard-create.sql", "auth_db-create.sql"] {
        let path = Path::new("/usr/share/kamailio/db_sqlite").join(schema);
        let sql = std::fs::read(&path).unwrap_or_else(|e| {
            panic!("{}: {e} (Debian's kamailio-sqlite-modules)", path.display())
        });
        sqlite(&database, &sql);
    }
    database
}

/// A SIP account as a phone file describes it.
#[derive(Debug, Clone)]
pub struct SipAccount {
    /// `sip_server.1.address`: the host of the address of record.
    pub server: String,
    /// Where the REGISTER is sent: the outbound proxy when enabled, else the server.
    pub next_hop: (String, u16),
    pub user: String,
    pub auth_name: String,
    pub password: String,
}

/// How a REGISTER ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Registration {
    Ok,
    Unauthorized,
    Other(String),
}

/// Registers `account` with `sipsak`: it answers the challenge and exits 0 on a 2xx.
async fn register(account: &SipAccount) -> Registration {
    let sipsak = binary("SIPPROV_SIPSAK", "/usr/bin/sipsak", "sipsak");
    let account = account.clone();
    tokio::task::spawn_blocking(move || {
        let local = free_udp_port();
        let dir = tempfile::tempdir().unwrap();
        let message = dir.path().join("register.sip");
        let call = format!("{}-{local}", account.user);
        std::fs::write(
            &message,
            format!(
                "REGISTER sip:{server} SIP/2.0\r\n\
                 Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-{call};rport\r\n\
                 From: <sip:{user}@{server}>;tag={local}\r\n\
                 To: <sip:{user}@{server}>\r\n\
                 Call-ID: {call}@127.0.0.1\r\n\
                 CSeq: 1 REGISTER\r\n\
                 Contact: <sip:{user}@127.0.0.1:{local}>\r\n\
                 Max-Forwards: 70\r\n\
                 Expires: 60\r\n\
                 Content-Length: 0\r\n\r\n",
                server = account.server,
                user = account.user,
            ),
        )
        .unwrap();
        let (host, port) = &account.next_hop;
        let output = Command::new(sipsak)
            .arg("-f")
            .arg(&message)
            .arg("-s")
            .arg(format!("sip:{host}:{port}"))
            .arg("-l")
            .arg(local.to_string())
            .arg("-H")
            .arg("127.0.0.1")
            .arg("-u")
            .arg(&account.auth_name)
            .arg("-a")
            .arg(&account.password)
            .output()
            .expect("sipsak runs");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if output.status.success() {
            Registration::Ok
        } else if said.contains("SIP/2.0 401 Unauthorized") {
            Registration::Unauthorized
        } else {
            Registration::Other(said)
        }
    })
    .await
    .unwrap()
}
