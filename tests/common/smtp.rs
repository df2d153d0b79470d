//! A small SMTP server for tests (RFC 5321 subset: EHLO/HELO, MAIL, RCPT, DATA with
//! dot-unstuffing, RSET, NOOP, QUIT) that stores what it receives and can be told to refuse
//! (4xx / 5xx) or to drop connections; plus just enough MIME decoding to read what lettre
//! sends (RFC 2047 subjects, base64 / quoted-printable bodies).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// How the server answers MAIL FROM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Accept,
    /// 451: try again later.
    Refuse4xx,
    /// 550: permanent refusal.
    Refuse5xx,
    /// Close the connection without answering.
    Drop,
}

#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub rcpt: Vec<String>,
    /// The message as transmitted, dot-unstuffed, CRLF line ends.
    pub data: String,
}

#[derive(Default)]
struct Inner {
    messages: Vec<Received>,
    mode: Option<Mode>,
}

#[derive(Clone)]
pub struct SmtpServer {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let inner = Arc::new(Mutex::new(Inner::default()));
        let server = SmtpServer { addr, inner };
        let s = server.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.session(sock).await;
                });
            }
        });
        server
    }

    /// `smtp://127.0.0.1:<port>` (plain, as lettre's `from_url` understands it).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.inner.lock().unwrap().mode = Some(mode);
    }

    fn mode(&self) -> Mode {
        self.inner.lock().unwrap().mode.unwrap_or(Mode::Accept)
    }

    pub fn messages(&self) -> Vec<Received> {
        self.inner.lock().unwrap().messages.clone()
    }

    pub fn clear(&self) {
        self.inner.lock().unwrap().messages.clear();
    }

    async fn session(&self, sock: tokio::net::TcpStream) -> std::io::Result<()> {
        let (r, mut w) = sock.into_split();
        let mut r = BufReader::new(r);
        w.write_all(b"220 test.local ESMTP ready\r\n").await?;
        let mut from = String::new();
        let mut rcpt = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if r.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let cmd = line.trim_end().to_owned();
            let upper = cmd.to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                w.write_all(b"250-test.local\r\n250 HELP\r\n").await?;
            } else if upper.starts_with("HELO") {
                w.write_all(b"250 test.local\r\n").await?;
            } else if upper.starts_with("MAIL FROM:") {
                match self.mode() {
                    Mode::Accept => {
                        from = cmd[10..].trim().to_owned();
                        rcpt.clear();
                        w.write_all(b"250 OK\r\n").await?;
                    }
                    Mode::Refuse4xx => w.write_all(b"451 4.3.0 try again later\r\n").await?,
                    Mode::Refuse5xx => w.write_all(b"550 5.7.1 refused\r\n").await?,
                    Mode::Drop => return Ok(()),
                }
            } else if upper.starts_with("RCPT TO:") {
                rcpt.push(cmd[8..].trim().to_owned());
                w.write_all(b"250 OK\r\n").await?;
            } else if upper == "DATA" {
                w.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    let l = line.trim_end_matches(['\r', '\n']);
                    if l == "." {
                        break;
                    }
                    // Dot-unstuffing (RFC 5321 §4.5.2).
                    let l = l
                        .strip_prefix('.')
                        .filter(|_| l.starts_with(".."))
                        .unwrap_or(l);
                    data.push_str(l);
                    data.push_str("\r\n");
                }
                self.inner.lock().unwrap().messages.push(Received {
                    from: from.clone(),
                    rcpt: std::mem::take(&mut rcpt),
                    data,
                });
                w.write_all(b"250 OK queued\r\n").await?;
            } else if upper == "RSET" {
                rcpt.clear();
                w.write_all(b"250 OK\r\n").await?;
            } else if upper == "NOOP" {
                w.write_all(b"250 OK\r\n").await?;
            } else if upper == "QUIT" {
                w.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                w.write_all(b"500 unknown command\r\n").await?;
            }
        }
    }
}

// ------------------------------------------------------------------ MIME, just enough

/// Splits a message (or part) into unfolded headers and the body.
pub fn split(raw: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push_str(line.trim_start());
                // Folding between encoded words carries no space.
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    (headers, body.to_owned())
}

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`).
pub fn decode_words(v: &str) -> String {
    let mut out = String::new();
    let mut rest = v;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let between = &rest[..start];
        if !(last_was_word && between.trim().is_empty()) {
            out.push_str(between);
        }
        let after = &rest[start + 2..];
        let mut parts = after.splitn(3, '?');
        let (Some(_charset), Some(enc), Some(tail)) = (parts.next(), parts.next(), parts.next())
        else {
            out.push_str(&rest[start..]);
            return out;
        };
        let Some(end) = tail.find("?=") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let text = &tail[..end];
        let bytes = if enc.eq_ignore_ascii_case("b") {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap_or_default()
        } else {
            qp_decode(&text.replace('_', " "))
        };
        out.push_str(&String::from_utf8_lossy(&bytes));
        rest = &tail[end + 2..];
        last_was_word = true;
    }
    out.push_str(rest);
    out
}

pub fn qp_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if b.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if let Some(h) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(h);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn decode_body(headers: &[(String, String)], body: &str) -> String {
    let enc = header(headers, "content-transfer-encoding")
        .unwrap_or("7bit")
        .to_ascii_lowercase();
    match enc.as_str() {
        "base64" => {
            let clean: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            String::from_utf8_lossy(
                &base64::engine::general_purpose::STANDARD
                    .decode(clean)
                    .unwrap_or_default(),
            )
            .into_owned()
        }
        "quoted-printable" => String::from_utf8_lossy(&qp_decode(body)).into_owned(),
        _ => body.to_owned(),
    }
}

/// A decoded mail: subject, plain text and HTML parts.
#[derive(Debug, Clone)]
pub struct Mail {
    pub subject: String,
    pub to: String,
    pub message_id: String,
    pub text: String,
    pub html: String,
}

pub fn decode(raw: &str) -> Mail {
    let (headers, body) = split(raw);
    let mut mail = Mail {
        subject: decode_words(header(&headers, "subject").unwrap_or("")),
        to: decode_words(header(&headers, "to").unwrap_or("")),
        message_id: header(&headers, "message-id").unwrap_or("").to_owned(),
        text: String::new(),
        html: String::new(),
    };
    let ct = header(&headers, "content-type").unwrap_or("");
    let boundary = ct
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_owned());
    match boundary {
        Some(b) => {
            for part in body.split(&format!("--{b}")) {
                let part = part.trim_start_matches("\r\n");
                if part.starts_with("--") || part.trim().is_empty() {
                    continue;
                }
                let (h, pb) = split(part);
                let pct = header(&h, "content-type")
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if pct.starts_with("multipart/") {
                    // A mail with attachments: multipart/mixed around the alternative.
                    let inner = decode(part);
                    mail.text = inner.text;
                    mail.html = inner.html;
                } else if pct.starts_with("text/plain") {
                    mail.text = decode_body(&h, &pb);
                } else if pct.starts_with("text/html") {
                    mail.html = decode_body(&h, &pb);
                }
            }
        }
        None => mail.text = decode_body(&headers, &body),
    }
    mail
}
