//! Parsed GraphQL documents, kept by query text.
//!
//! Frontends send the same few query texts over and over, with different variables. Parsing
//! is a measurable share of a small request's CPU time (the pest grammar walks every
//! character), so a document parsed once is handed to later requests with the same text.
//! Validation still runs on every request: it checks the variables, and the limits of depth and
//! complexity. Only signed-in requests use the cache (see `server::graphql`).

use std::collections::HashMap;
use std::sync::RwLock;

use async_graphql::parser::{parse_query, types::ExecutableDocument};

/// Texts longer than this are parsed every time: they are one-off documents (a plan sent
/// inline to `importPlan`), and keeping them would let clients fill memory.
const MAX_QUERY_BYTES: usize = 8 * 1024;
/// Distinct texts kept; past this the cache starts again empty. A frontend uses dozens.
const MAX_ENTRIES: usize = 512;

#[derive(Default)]
pub struct ParseCache {
    docs: RwLock<HashMap<String, ExecutableDocument>>,
}

impl ParseCache {
    /// Gives `request` its parsed document from the cache, parsing and keeping it on a miss.
    /// A text that does not parse is left to async-graphql, which reports the error as usual.
    pub fn attach(&self, mut request: async_graphql::Request) -> async_graphql::Request {
        if request.query.len() > MAX_QUERY_BYTES {
            return request;
        }
        if let Some(doc) = self
            .docs
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&request.query)
        {
            request.set_parsed_query(doc.clone());
            return request;
        }
        let Ok(doc) = parse_query(&request.query) else {
            return request;
        };
        {
            let mut docs = self.docs.write().unwrap_or_else(|p| p.into_inner());
            if docs.len() >= MAX_ENTRIES {
                docs.clear();
            }
            docs.insert(request.query.clone(), doc.clone());
        }
        request.set_parsed_query(doc);
        request
    }

    pub fn len(&self) -> usize {
        self.docs.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_small_valid_documents_only() {
        let cache = ParseCache::default();
        let r = cache.attach(async_graphql::Request::new("{ me { id } }"));
        assert_eq!(cache.len(), 1);
        drop(r);
        cache.attach(async_graphql::Request::new("{ me { id } }"));
        assert_eq!(cache.len(), 1, "the same text is one entry");
        cache.attach(async_graphql::Request::new("{ me { id "));
        assert_eq!(cache.len(), 1, "a syntax error is not kept");
        let big = format!("{{ me {{ id }} }} # {}", "x".repeat(MAX_QUERY_BYTES));
        cache.attach(async_graphql::Request::new(big));
        assert_eq!(cache.len(), 1, "a long text is not kept");
    }

    #[test]
    fn stays_bounded() {
        let cache = ParseCache::default();
        for i in 0..(MAX_ENTRIES + 10) {
            cache.attach(async_graphql::Request::new(format!(
                "{{ a{i}: me {{ id }} }}"
            )));
        }
        assert!(cache.len() <= MAX_ENTRIES);
    }
}
