//! Automatic persisted queries (Apollo's APQ protocol): a client sends the SHA-256 of its
//! document instead of the text; when this replica does not know the hash yet it answers
//! `PERSISTED_QUERY_NOT_FOUND` and the client sends text and hash once, which is kept.
//!
//! async-graphql has an extension for this, but it fills the query in after our document
//! limits have run (see `limits::admit`); a hash-only request would then skip them, the
//! anonymous check included. Here the text is restored before admission, so a persisted
//! document is checked like any other, for whoever sends it.

use std::collections::HashMap;
use std::sync::RwLock;

use sha2::{Digest, Sha256};

use super::limits::{MAX_QUERY_BYTES, Refusal};

/// Distinct documents kept per process; past this the store starts again empty (clients just
/// send the text once more). A frontend uses dozens.
const MAX_ENTRIES: usize = 1024;

#[derive(Default)]
pub struct PersistedQueries {
    by_hash: RwLock<HashMap<String, String>>,
}

fn refusal(code: &'static str, message: &str) -> Refusal {
    Refusal {
        code,
        message: message.to_owned(),
    }
}

impl PersistedQueries {
    /// Applies a request's `persistedQuery` extension, if any: fills in the text of a known
    /// hash, or keeps a text sent with its hash (only for signed-in clients, so that anonymous
    /// ones cannot churn the store).
    ///
    /// # Errors
    /// `PERSISTED_QUERY_NOT_FOUND` for an unknown hash sent alone; `INVALID_INPUT` for another
    /// protocol version, a malformed hash or one that is not the text's.
    pub fn resolve(
        &self,
        req: &mut async_graphql::Request,
        signed_in: bool,
    ) -> Result<(), Refusal> {
        let Some(ext) = req.extensions.get("persistedQuery") else {
            return Ok(());
        };
        let ext = ext.clone().into_json().unwrap_or_default();
        if ext.get("version").and_then(|v| v.as_i64()) != Some(1) {
            return Err(refusal(
                "INVALID_INPUT",
                "persisted queries: only version 1 is supported",
            ));
        }
        let Some(hash) = ext
            .get("sha256Hash")
            .and_then(|h| h.as_str())
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(str::to_ascii_lowercase)
        else {
            return Err(refusal(
                "INVALID_INPUT",
                "persisted queries: sha256Hash must be 64 hex digits",
            ));
        };
        if req.query.is_empty() {
            let known = self
                .by_hash
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(&hash)
                .cloned();
            return match known {
                Some(text) => {
                    req.query = text;
                    Ok(())
                }
                // The message is the one Apollo clients look for.
                None => Err(refusal(
                    "PERSISTED_QUERY_NOT_FOUND",
                    "PersistedQueryNotFound",
                )),
            };
        }
        if hex::encode(Sha256::digest(req.query.as_bytes())) != hash {
            return Err(refusal(
                "INVALID_INPUT",
                "persisted queries: sha256Hash is not the hash of the query",
            ));
        }
        if signed_in && req.query.len() <= MAX_QUERY_BYTES {
            let mut map = self.by_hash.write().unwrap_or_else(|p| p.into_inner());
            if map.len() >= MAX_ENTRIES && !map.contains_key(&hash) {
                map.clear();
            }
            map.insert(hash, req.query.clone());
        }
        Ok(())
    }
}
