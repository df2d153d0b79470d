//! Sending one mail: a small trait with an SMTP implementation (lettre, pooled) and a file
//! implementation that writes `.eml` files (the offline default and the demo).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Attachment, Mailbox, MultiPart, header};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Config;
use crate::error::{AppError, AppResult};

/// A mail ready to be sent: what the outbox stores.
#[derive(Clone, Debug)]
pub struct OutgoingMail {
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Without angle brackets.
    pub message_id: String,
    /// Files sent with the mail (the Word documents of numbered notices).
    pub attachments: Vec<MailAttachment>,
}

/// A file attached to a mail.
#[derive(Clone, Debug)]
pub struct MailAttachment {
    pub file_name: String,
    pub media_type: String,
    pub content: Vec<u8>,
}

/// Why a send failed, as far as retrying is concerned.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// 4xx, a timeout, a refused or dropped connection: try again later.
    #[error("transient: {0}")]
    Transient(String),
    /// 5xx or an unusable address: retrying will not help; the office is told.
    #[error("permanent: {0}")]
    Permanent(String),
}

/// Something that delivers mail.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    /// Delivers one mail; `Ok` once the server (or the folder) has accepted it.
    async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError>;
    /// Human-readable description for logs (never includes credentials).
    fn describe(&self) -> String;
}

/// Builds the RFC 5322 message: UTF-8 subject (RFC 2047), `multipart/alternative` body, and
/// with attachments a `multipart/mixed` around it.
///
/// # Errors
/// `SendError::Permanent` when an address cannot be parsed.
pub fn build_message(from: &str, mail: &OutgoingMail) -> Result<Message, SendError> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| SendError::Permanent(format!("bad sender address {from:?}: {e}")))?;
    let to_addr = mail
        .to
        .parse()
        .map_err(|e| SendError::Permanent(format!("bad recipient address {:?}: {e}", mail.to)))?;
    let to = Mailbox::new(Some(mail.to_name.clone()), to_addr);
    Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{}>", mail.message_id)))
        .header(header::Date::now())
        .multipart(body(mail)?)
        .map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))
}

fn body(mail: &OutgoingMail) -> Result<MultiPart, SendError> {
    let alternative = MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone());
    if mail.attachments.is_empty() {
        return Ok(alternative);
    }
    let mut mixed = MultiPart::mixed().multipart(alternative);
    for a in &mail.attachments {
        let kind = header::ContentType::parse(&a.media_type).map_err(|e| {
            SendError::Permanent(format!("bad attachment type {:?}: {e}", a.media_type))
        })?;
        mixed =
            mixed.singlepart(Attachment::new(a.file_name.clone()).body(a.content.clone(), kind));
    }
    Ok(mixed)
}

/// SMTP through lettre's pooled async transport. `DUBAN_SMTP_URL` chooses the security:
/// `smtp://host:port` plain, `smtp://host?tls=required` STARTTLS, `smtps://host` TLS;
/// credentials as `smtp://user:pass@host`.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: String,
    described: String,
}

/// How long one SMTP command may take before the attempt counts as failed (transient).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

impl SmtpMailer {
    /// # Errors
    /// INVALID_INPUT when the URL cannot be understood.
    pub fn new(url: &str, from: &str, timeout: Duration) -> AppResult<SmtpMailer> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| AppError::invalid(format!("DUBAN_SMTP_URL: {e}")))?
            .timeout(Some(timeout))
            .build();
        Ok(SmtpMailer {
            transport,
            from: from.to_owned(),
            described: format!("smtp {}", crate::config::redact_url(url)),
        })
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError> {
        let message = build_message(&self.from, mail)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(error_chain(&e))),
            // 4xx, timeouts, refused/dropped connections, TLS trouble: try again later.
            Err(e) => Err(SendError::Transient(error_chain(&e))),
        }
    }

    fn describe(&self) -> String {
        self.described.clone()
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

/// Writes each mail as `<dir>/<message id>.eml` (the demo without SMTP).
pub struct FileMailer {
    dir: PathBuf,
    from: String,
}

impl FileMailer {
    pub fn new(dir: PathBuf, from: &str) -> FileMailer {
        FileMailer {
            dir,
            from: from.to_owned(),
        }
    }
}

#[async_trait::async_trait]
impl Mailer for FileMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError> {
        let message = build_message(&self.from, mail)?;
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| SendError::Transient(format!("{}: {e}", self.dir.display())))?;
        let safe: String = mail
            .message_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = self.dir.join(format!("{safe}.eml"));
        // Write then rename, so a reader never sees half a file.
        let tmp = self.dir.join(format!(".{safe}.tmp"));
        tokio::fs::write(&tmp, message.formatted())
            .await
            .map_err(|e| SendError::Transient(format!("{}: {e}", tmp.display())))?;
        tokio::fs::rename(&tmp, &path)
            .await
            .map_err(|e| SendError::Transient(format!("{}: {e}", path.display())))?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("files in {}", self.dir.display())
    }
}

/// The mailer the configuration asks for: SMTP when `smtp_url` is set, otherwise `.eml`
/// files in `<data_dir>/outbox-mail/`.
///
/// # Errors
/// INVALID_INPUT for an unusable SMTP URL.
pub fn from_config(config: &Config) -> AppResult<Arc<dyn Mailer>> {
    Ok(match &config.smtp_url {
        Some(url) => Arc::new(SmtpMailer::new(url, &config.mail_from, SMTP_TIMEOUT)?),
        None => Arc::new(FileMailer::new(
            config.data_dir.join("outbox-mail"),
            &config.mail_from,
        )),
    })
}
