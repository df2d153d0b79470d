//! Typed configuration from environment variables, read in one place. Secrets are never logged.

use std::path::PathBuf;

use crate::error::AppError;

/// Everything the service reads from its environment.
#[derive(Clone)]
pub struct Config {
    /// `DUBAN_DATA_DIR` (default `./data`): embedded database, generated secret, mail folder.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`; when absent, `sqlite://<data_dir>/duban.db`.
    pub database_url: String,
    /// `DUBAN_JWT_SECRET` (≥ 32 bytes) or a random secret generated once into the data dir.
    pub jwt_secret: Vec<u8>,
    /// `DUBAN_SMTP_URL`, e.g. `smtp://user:pass@host:587?tls=required`; absent → .eml files.
    pub smtp_url: Option<String>,
    /// `DUBAN_MAIL_FROM` (default `duban@localhost`).
    pub mail_from: String,
    /// `DUBAN_PUBLIC_URL`: the frontend, for links in mails.
    pub public_url: String,
    /// `DUBAN_API_URL`: this API's public base URL, for links it serves itself (calendar
    /// feeds); when unset, the Host of the request is used.
    pub api_url: Option<String>,
    /// `DUBAN_DB_MAX_CONNECTIONS` (default 10 for PostgreSQL, 8 for SQLite): the pool size.
    /// More connections than a few per database core only adds contention.
    pub db_max_connections: Option<u32>,
    /// `DUBAN_TOKEN_TTL_HOURS` (default 12).
    pub token_ttl_hours: i64,
    /// What one HTTP request may cost: body, response and time.
    pub limits: Limits,
    /// `DUBAN_TRUSTED_PROXIES`: comma-separated addresses of the reverse proxies in front of
    /// the API. A request from one of them is attributed to the address it forwards
    /// (`X-Forwarded-For`), for the sign-in throttle and the audit; from anyone else the header
    /// is ignored (a client could write anything into it).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `DUBAN_STORAGE_URL` (default: the directory `<data_dir>/objects`): where evidence
    /// files are kept, e.g. `s3://bucket/prefix` with `AWS_ENDPOINT_URL`, `AWS_REGION`,
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and `AWS_ALLOW_HTTP=true` for plain HTTP).
    pub storage: crate::storage::Storage,
    /// `DUBAN_METRICS_TOKEN`: the bearer token a Prometheus scraper sends to `/metrics`
    /// (at least 16 bytes); unset, `/metrics` answers 404. Kept apart from user tokens so a
    /// scraper holds no account, and the metrics name no user.
    pub metrics_token: Option<String>,
}

/// Per-request limits of the HTTP API (README "Limits"). The shape of a GraphQL document
/// (depth, expanded fields, root fields, complexity) is limited in `graphql::limits`.
#[derive(Clone, Debug)]
pub struct Limits {
    /// `DUBAN_MAX_BODY_BYTES` (default 24 MiB): the largest multipart body (with its files) of
    /// a signed-in request; a 10 MB plan document must fit.
    pub body_bytes: usize,
    /// `DUBAN_MAX_JSON_BYTES` (default 4 MiB): the largest JSON body or GET query string of a
    /// signed-in request. JSON decodes into many times its size; files go as uploads.
    pub json_body_bytes: usize,
    /// The largest request without a valid token (only `login` answers those).
    pub anonymous_body_bytes: usize,
    /// `DUBAN_MAX_RESPONSE_BYTES` (default 16 MiB): a larger answer is refused, not sent.
    pub response_bytes: usize,
    /// `DUBAN_REQUEST_TIMEOUT_SECS` (default 30): a request still running then is abandoned
    /// (its transaction rolls back) and answered 503.
    pub request_time: std::time::Duration,
    /// Evidence attachments (佐证材料): what one file and one item may hold.
    pub attachments: AttachmentLimits,
    /// `DUBAN_MAX_CONCURRENT_EXPORTS` (default 2): ledger exports running at once per
    /// replica. Each holds a database connection and a temporary file for seconds; one more
    /// is refused (429) rather than queued.
    pub concurrent_exports: usize,
}

/// Limits on evidence attachments (README "Attachments").
#[derive(Clone, Debug)]
pub struct AttachmentLimits {
    /// `DUBAN_MAX_ATTACHMENT_BYTES` (default 20 MiB): the largest file.
    pub file_bytes: u64,
    /// `DUBAN_MAX_ITEM_ATTACHMENT_BYTES` (default 100 MiB): all files of one report or request.
    pub item_bytes: u64,
    /// `DUBAN_MAX_ATTACHMENTS_PER_ITEM` (default 20): files on one report or request.
    pub item_files: u64,
}

impl Default for AttachmentLimits {
    fn default() -> Self {
        AttachmentLimits {
            file_bytes: 20 * 1024 * 1024,
            item_bytes: 100 * 1024 * 1024,
            item_files: 20,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 24 * 1024 * 1024,
            json_body_bytes: 4 * 1024 * 1024,
            anonymous_body_bytes: 16 * 1024,
            response_bytes: 16 * 1024 * 1024,
            request_time: std::time::Duration::from_secs(30),
            attachments: AttachmentLimits::default(),
            concurrent_exports: 2,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("database", &redact_url(&self.database_url))
            .field("smtp", &self.smtp_url.as_deref().map(redact_url))
            .field("public_url", &self.public_url)
            .field("storage", &self.storage)
            .finish_non_exhaustive()
    }
}

/// Hides a password in `scheme://user:password@host`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

impl Config {
    /// Reads the environment. Creates the data directory and, for the embedded default, a
    /// random JWT secret kept in `<data_dir>/jwt-secret` so tokens survive restarts.
    ///
    /// # Errors
    /// `INVALID_INPUT` when `DUBAN_JWT_SECRET` is shorter than 32 bytes or the data dir is unusable.
    pub fn from_env() -> Result<Self, AppError> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let data_dir = PathBuf::from(var("DUBAN_DATA_DIR").unwrap_or_else(|| "./data".into()));
        std::fs::create_dir_all(&data_dir).map_err(|e| {
            AppError::invalid(format!(
                "cannot create data dir {}: {e}",
                data_dir.display()
            ))
        })?;
        let database_url = var("DATABASE_URL").unwrap_or_else(|| {
            format!("sqlite://{}?mode=rwc", data_dir.join("duban.db").display())
        });
        let jwt_secret = match var("DUBAN_JWT_SECRET") {
            Some(s) if s.len() >= 32 => s.into_bytes(),
            Some(_) => {
                return Err(AppError::invalid(
                    "DUBAN_JWT_SECRET must be at least 32 bytes",
                ));
            }
            None => load_or_create_secret(&data_dir)?,
        };
        let storage = crate::storage::Storage::open(crate::storage::Location::parse(
            var("DUBAN_STORAGE_URL").as_deref(),
            &data_dir,
        )?)?;
        Ok(Config {
            storage,
            data_dir,
            database_url,
            jwt_secret,
            smtp_url: var("DUBAN_SMTP_URL"),
            mail_from: var("DUBAN_MAIL_FROM").unwrap_or_else(|| "duban@localhost".into()),
            metrics_token: match var("DUBAN_METRICS_TOKEN") {
                Some(t) if t.trim().len() < 16 => {
                    return Err(AppError::invalid(
                        "DUBAN_METRICS_TOKEN must be at least 16 characters",
                    ));
                }
                t => t.map(|t| t.trim().to_owned()),
            },
            api_url: var("DUBAN_API_URL").map(|u| u.trim_end_matches('/').to_owned()),
            public_url: var("DUBAN_PUBLIC_URL").unwrap_or_else(|| "http://127.0.0.1:8080".into()),
            db_max_connections: var("DUBAN_DB_MAX_CONNECTIONS")
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0),
            token_ttl_hours: var("DUBAN_TOKEN_TTL_HOURS")
                .and_then(|v| v.parse().ok())
                .unwrap_or(12),
            trusted_proxies: match var("DUBAN_TRUSTED_PROXIES") {
                None => Vec::new(),
                Some(list) => list
                    .split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(|a| {
                        a.parse().map_err(|_| {
                            AppError::invalid(format!(
                                "DUBAN_TRUSTED_PROXIES: {a:?} is no IP address"
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?,
            },
            limits: {
                let d = Limits::default();
                let num = |k: &str| {
                    var(k)
                        .and_then(|v| v.parse::<u64>().ok())
                        .filter(|n| *n > 0)
                };
                Limits {
                    body_bytes: num("DUBAN_MAX_BODY_BYTES").map_or(d.body_bytes, |n| n as usize),
                    json_body_bytes: num("DUBAN_MAX_JSON_BYTES")
                        .map_or(d.json_body_bytes, |n| n as usize),
                    response_bytes: num("DUBAN_MAX_RESPONSE_BYTES")
                        .map_or(d.response_bytes, |n| n as usize),
                    request_time: num("DUBAN_REQUEST_TIMEOUT_SECS")
                        .map_or(d.request_time, std::time::Duration::from_secs),
                    concurrent_exports: num("DUBAN_MAX_CONCURRENT_EXPORTS")
                        .map_or(d.concurrent_exports, |n| n as usize),
                    attachments: AttachmentLimits {
                        file_bytes: num("DUBAN_MAX_ATTACHMENT_BYTES")
                            .unwrap_or(d.attachments.file_bytes),
                        item_bytes: num("DUBAN_MAX_ITEM_ATTACHMENT_BYTES")
                            .unwrap_or(d.attachments.item_bytes),
                        item_files: num("DUBAN_MAX_ATTACHMENTS_PER_ITEM")
                            .unwrap_or(d.attachments.item_files),
                    },
                    ..d
                }
            },
        })
    }
}

fn load_or_create_secret(dir: &std::path::Path) -> Result<Vec<u8>, AppError> {
    use rand::RngCore;
    let path = dir.join("jwt-secret");
    if let Ok(hex_secret) = std::fs::read_to_string(&path)
        && let Ok(bytes) = hex::decode(hex_secret.trim())
        && bytes.len() >= 32
    {
        return Ok(bytes);
    }
    let mut bytes = vec![0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    // Created owner-only from the start (never readable by others, not even for a moment),
    // and only if absent: two processes starting at once must not each write their own.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let cannot =
        |e: std::io::Error| AppError::invalid(format!("cannot write {}: {e}", path.display()));
    match options.open(&path) {
        Ok(mut file) => {
            std::io::Write::write_all(&mut file, hex::encode(&bytes).as_bytes()).map_err(cannot)?
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // Another process won the race (or the file held a short secret): use what is there
            // if it is good, else replace it.
            std::thread::sleep(std::time::Duration::from_millis(50));
            if let Ok(hex_secret) = std::fs::read_to_string(&path)
                && let Ok(existing) = hex::decode(hex_secret.trim())
                && existing.len() >= 32
            {
                return Ok(existing);
            }
            std::fs::write(&path, hex::encode(&bytes)).map_err(cannot)?;
        }
        Err(e) => return Err(cannot(e)),
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
