//! A small HTTP/1.1 client over raw TCP, one request per connection, and
//! what a person does with a page: read its form token, answer its question.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// An answer; `None` from [`send`] when no complete answer came (the node
/// is gone, or was killed mid-answer).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Answer {
    /// "name=value" of the first cookie the answer sets.
    pub fn cookie(&self) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("set-cookie").then(|| value.trim().split(';').next().unwrap_or("").to_owned())
        })
    }

    pub fn header(&self, wanted: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case(wanted).then(|| value.trim().to_owned())
        })
    }
}

/// What became of a request.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A whole answer (its announced length read to the end).
    Answered(Answer),
    /// The connection was refused: nothing listens (a node stopped).
    Refused,
    /// Connected, but the connection closed before the first byte of an
    /// answer (the request never reached the application, or was dropped).
    Unanswered,
    /// Part of an answer came, then the connection closed or timed out: an
    /// answer cut short.
    Cut,
}

impl Outcome {
    pub fn answer(self) -> Option<Answer> {
        match self {
            Outcome::Answered(a) => Some(a),
            _ => None,
        }
    }
}

/// Sends a whole request and reads the whole answer.
pub fn exchange(addr: &str, request: &str) -> Outcome {
    let mut s = match TcpStream::connect(addr) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Outcome::Refused,
        Err(_) => return Outcome::Unanswered,
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(30)));
    if s.write_all(request.as_bytes()).is_err() {
        return Outcome::Unanswered;
    }
    let mut raw = Vec::new();
    let read = s.read_to_end(&mut raw);
    if raw.is_empty() {
        return Outcome::Unanswered;
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return Outcome::Cut };
    let Some(status) = head.split(' ').nth(1).and_then(|s| s.parse().ok()) else { return Outcome::Cut };
    let answer = Answer { status, head: head.to_owned(), body: body.to_owned() };
    let whole = match answer.header("content-length").and_then(|l| l.parse::<usize>().ok()) {
        Some(len) => raw.len() >= head.len() + 4 + len,
        // Chunked or until close: whole when the close came cleanly.
        None => {
            read.is_ok()
                && (!answer.header("transfer-encoding").is_some_and(|t| t.contains("chunked"))
                    || raw.ends_with(b"0\r\n\r\n"))
        }
    };
    if whole { Outcome::Answered(answer) } else { Outcome::Cut }
}

/// Sends a whole request; the answer when it came whole.
pub fn send(addr: &str, request: &str) -> Option<Answer> {
    exchange(addr, request).answer()
}

/// A GET on a connection of its own.
pub fn get_request(addr: &str, path: &str, cookie: Option<&str>) -> String {
    let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
    format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{cookie}Connection: close\r\n\r\n")
}

/// A POST of a form (urlencoded) or of JSON (`json`), on a connection of
/// its own.
pub fn post_request(addr: &str, path: &str, body: &str, cookie: Option<&str>, json: bool) -> String {
    let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
    let kind = if json { "application/json" } else { "application/x-www-form-urlencoded" };
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{cookie}Content-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

pub fn get(addr: &str, path: &str, cookie: Option<&str>) -> Option<Answer> {
    send(addr, &get_request(addr, path, cookie))
}

pub fn post(addr: &str, path: &str, body: &str, cookie: Option<&str>, json: bool) -> Option<Answer> {
    send(addr, &post_request(addr, path, body, cookie, json))
}

pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The form token of the form posting to `action` in `page`.
pub fn token_in(page: &str, action: &str) -> Option<String> {
    let form = page.split(&format!("action=\"{action}\"")).nth(1)?;
    Some(form.split("name=\"jeton\" value=\"").nth(1)?.split('"').next()?.to_owned())
}

pub fn hidden(page: &str, name: &str) -> Option<String> {
    Some(page.split(&format!("name=\"{name}\" value=\"")).nth(1)?.split('"').next()?.to_owned())
}

/// The answer, in digits, to a form's question in words ("Combien font
/// trois plus quatre ?").
pub fn answer_in_words(page: &str) -> Option<String> {
    const WORDS: [&str; 10] = ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"];
    let text = page.split("Combien font ").nth(1)?.split(" ?").next()?;
    let (a, b) = text.split_once(" plus ")?;
    let n = |w: &str| WORDS.iter().position(|x| *x == w);
    Some((n(a)? + n(b)?).to_string())
}

/// The SHA-256 of a participant's token, as the store keys them.
pub fn token_hash(cookie: &str) -> String {
    use sha2::Digest;
    let token = cookie.split_once('=').map(|(_, v)| v).unwrap_or(cookie).split('.').next().unwrap_or("");
    sha2::Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
