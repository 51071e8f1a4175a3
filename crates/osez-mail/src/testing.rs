//! A real SMTP server on loopback for tests: `tests/smtp/sink.py`
//! (Python's aiosmtpd), which appends every message it accepts to a file.
//! Under `CI=true` a missing aiosmtpd fails the test instead of skipping it.
//! [`StallFirst`] puts a stalled server in front of it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

/// A message as the server received it, decoded.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub from: String,
    pub to: String,
    pub reply_to: String,
    pub subject: String,
    pub message_id: String,
    pub date: String,
    pub content_type: String,
    pub header_names: Vec<String>,
    pub body: String,
    #[serde(default)]
    pub attachments: Vec<ReceivedFile>,
}

/// A file a received mail carried (its text, for a text file).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ReceivedFile {
    pub filename: String,
    pub content_type: String,
    pub content: String,
}

pub struct SmtpSink {
    pub port: u16,
    delay_ms: u64,
    child: Option<Child>,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/smtp/sink.py")
}

fn aiosmtpd_present() -> bool {
    Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl SmtpSink {
    /// Starts the server on a free loopback port; `None` (with a note) when
    /// aiosmtpd is not installed, outside CI.
    pub fn start() -> Option<SmtpSink> {
        SmtpSink::start_slow(0)
    }

    /// Same, with a server that takes `delay_ms` to accept each message.
    pub fn start_slow(delay_ms: u64) -> Option<SmtpSink> {
        if !aiosmtpd_present() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but Python's aiosmtpd is missing (python3 -m pip install aiosmtpd)"
            );
            eprintln!("note: aiosmtpd missing, SMTP tests skipped (python3 -m pip install aiosmtpd)");
            return None;
        }
        let dir = tempfile::tempdir().expect("temporary directory");
        let out = dir.path().join("received.jsonl");
        let mut sink = SmtpSink { port: 0, delay_ms, child: None, out, _dir: dir };
        sink.launch(0);
        Some(sink)
    }

    fn launch(&mut self, port: u16) {
        let mut child = Command::new("python3")
            .arg(script())
            .args(["--port", &port.to_string(), "--delay-ms", &self.delay_ms.to_string(), "--out"])
            .arg(&self.out)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the SMTP sink");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line).expect("sink output");
        self.port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the SMTP sink did not start: {line:?}"));
        self.child = Some(child);
    }

    /// `smtp://127.0.0.1:PORT`, plain text (loopback only).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops the server: connections to its port are refused.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.launch(self.port);
    }

    pub fn received(&self) -> Vec<Received> {
        let Ok(text) = std::fs::read_to_string(&self.out) else { return Vec::new() };
        text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("sink line")).collect()
    }

    /// Waits until at least `n` messages arrived, or `limit` passed; then
    /// returns what arrived.
    pub fn wait_for(&self, n: usize, limit: Duration) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n || start.elapsed() > limit {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A stalled SMTP server in front of a real one: it accepts the first
/// connection and never says a word (not even the greeting), as a hung
/// server does, and passes the next connections through to the real server
/// behind it (byte for byte, so they speak real SMTP).
pub struct StallFirst {
    pub port: u16,
    stalled_dropped: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl StallFirst {
    /// Listens on a free loopback port, in front of `127.0.0.1:behind`.
    pub async fn start(behind: u16) -> StallFirst {
        StallFirst::stalling(behind, 1).await
    }

    /// Stalls none: passes every connection through and only counts them.
    pub async fn counting(behind: u16) -> StallFirst {
        StallFirst::stalling(behind, 0).await
    }

    async fn stalling(behind: u16, stalled: usize) -> StallFirst {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let stalled_dropped = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        let (dropped, count) = (stalled_dropped.clone(), accepted.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if count.fetch_add(1, Ordering::SeqCst) < stalled {
                    // Held, silent, until the client hangs up.
                    let dropped = dropped.clone();
                    tokio::spawn(async move {
                        let mut buf = [0u8; 1024];
                        while matches!(client.read(&mut buf).await, Ok(n) if n > 0) {}
                        dropped.store(true, Ordering::SeqCst);
                    });
                    continue;
                }
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(("127.0.0.1", behind)).await else { return };
                    // Each hop adds no delay of its own.
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
        StallFirst { port, stalled_dropped, accepted, task }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The client gave up on the stalled connection and closed it.
    pub fn stalled_dropped(&self) -> bool {
        self.stalled_dropped.load(Ordering::SeqCst)
    }

    /// Connections accepted so far, the stalled one included.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for StallFirst {
    fn drop(&mut self) {
        self.task.abort();
    }
}
