//! Limits on the shape of a GraphQL document, checked right after parsing and before
//! async-graphql checks, validates or executes anything (see [`admit`]).
//!
//! async-graphql's own depth and complexity visitors walk every fragment spread into its
//! definition again, so a kilobyte of fragments that each spread the previous one twice costs
//! exponential time in validation and execution alike. Here every fragment is measured once
//! (memoised), so the whole check is linear in the document's size, and a document whose
//! *expanded* size is over the limit is refused before any of that work starts.
//!
//! Without a valid token only `login` and `__typename` may be asked for: the check runs on the
//! expanded root selection, so neither aliases nor fragments get anything else past it.

use std::collections::HashMap;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::{ErrorExtensionValues, ServerError};

/// Most field selections a document may hold once every fragment is expanded where it is
/// spread. A large frontend screen asks for a few hundred.
pub const MAX_FIELDS: u64 = 1_000;
/// Most fields at the root of one operation, counted by response key (each alias is one).
pub const MAX_ROOT_FIELDS: usize = 30;
/// Deepest nesting of fields, counted through fragments (the same figure as async-graphql's
/// depth limit, which is kept as a second line).
pub const MAX_DEPTH: usize = super::MAX_DEPTH;

/// The stable code of every refusal for a limit (request shape, size or time).
pub const LIMIT_EXCEEDED: &str = "LIMIT_EXCEEDED";

/// What a document adds up to once expanded.
#[derive(Clone, Copy, Default)]
struct Size {
    fields: u64,
    depth: usize,
}

/// Measures selection sets, each fragment once.
struct Measure<'a> {
    doc: &'a ExecutableDocument,
    fragments: HashMap<&'a str, Size>,
    /// Fragments being measured right now: a spread of one of them is a cycle, which
    /// validation refuses later; here it counts as empty so the walk ends.
    open: Vec<&'a str>,
}

impl<'a> Measure<'a> {
    fn new(doc: &'a ExecutableDocument) -> Self {
        Measure {
            doc,
            fragments: HashMap::new(),
            open: Vec::new(),
        }
    }

    fn set(&mut self, set: &'a SelectionSet) -> Size {
        let mut total = Size::default();
        for sel in &set.items {
            let s = match &sel.node {
                Selection::Field(f) => {
                    let inner = self.set(&f.node.selection_set.node);
                    Size {
                        fields: inner.fields.saturating_add(1),
                        depth: inner.depth + 1,
                    }
                }
                Selection::InlineFragment(i) => self.set(&i.node.selection_set.node),
                Selection::FragmentSpread(s) => self.fragment(s.node.fragment_name.node.as_str()),
            };
            total.fields = total.fields.saturating_add(s.fields);
            total.depth = total.depth.max(s.depth);
        }
        total
    }

    fn fragment(&mut self, name: &'a str) -> Size {
        if let Some(s) = self.fragments.get(name) {
            return *s;
        }
        if self.open.contains(&name) {
            return Size::default();
        }
        let Some(def) = self.doc.fragments.get(name) else {
            return Size::default();
        };
        self.open.push(name);
        let s = self.set(&def.node.selection_set.node);
        self.open.pop();
        self.fragments.insert(name, s);
        s
    }

    /// The root fields of a selection set, through fragments, as (response key, field name):
    /// an alias is a key of its own, a field selected twice under one key is one. Only called
    /// once the expanded size is known to be small, so the walk is bounded.
    fn root_names(
        &self,
        set: &'a SelectionSet,
        out: &mut Vec<(&'a str, &'a str)>,
        seen: &mut Vec<&'a str>,
    ) {
        for sel in &set.items {
            match &sel.node {
                Selection::Field(f) => {
                    let name = f.node.name.node.as_str();
                    let key = f.node.alias.as_ref().map_or(name, |a| a.node.as_str());
                    if !out.iter().any(|(k, _)| *k == key) {
                        out.push((key, name));
                    }
                }
                Selection::InlineFragment(i) => self.root_names(&i.node.selection_set.node, out, seen),
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.as_str();
                    if seen.contains(&name) {
                        continue;
                    }
                    if let Some(def) = self.doc.fragments.get(name) {
                        seen.push(name);
                        self.root_names(&def.node.selection_set.node, out, seen);
                        seen.pop();
                    }
                }
            }
        }
    }
}

/// Why a document is refused, with the code the client sees.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

fn refuse(code: &'static str, message: String) -> Refusal {
    Refusal { code, message }
}

/// Checks a parsed document: its expanded size, depth and root fields, and, for a client
/// without a valid token, that it asks for nothing but `login` and `__typename`.
///
/// # Errors
/// A [`Refusal`] with `LIMIT_EXCEEDED` for a document over a limit, `UNAUTHENTICATED` for an
/// anonymous document that asks for more than signing in.
pub fn check(doc: &ExecutableDocument, signed_in: bool) -> Result<(), Refusal> {
    let mut m = Measure::new(doc);
    let operations: Vec<_> = match &doc.operations {
        DocumentOperations::Single(op) => vec![op],
        DocumentOperations::Multiple(map) => map.values().collect(),
    };
    let mut fields: u64 = 0;
    for op in &operations {
        let s = m.set(&op.node.selection_set.node);
        fields = fields.saturating_add(s.fields);
        if s.depth > MAX_DEPTH {
            return Err(refuse(
                LIMIT_EXCEEDED,
                format!("the query nests {} levels deep; at most {MAX_DEPTH}", s.depth),
            ));
        }
    }
    // Fragments that no operation uses are measured too: validation walks them as well.
    let names: Vec<&str> = doc.fragments.keys().map(|n| n.as_str()).collect();
    for name in names {
        let s = m.fragment(name);
        if s.fields > MAX_FIELDS || s.depth > MAX_DEPTH {
            fields = fields.saturating_add(s.fields);
        }
    }
    if fields > MAX_FIELDS {
        return Err(refuse(
            LIMIT_EXCEEDED,
            format!(
                "the query selects {} fields once its fragments are expanded; at most {MAX_FIELDS}",
                if fields == u64::MAX { "too many".to_owned() } else { fields.to_string() }
            ),
        ));
    }
    for op in &operations {
        let mut roots = Vec::new();
        m.root_names(&op.node.selection_set.node, &mut roots, &mut Vec::new());
        if roots.len() > MAX_ROOT_FIELDS {
            return Err(refuse(
                LIMIT_EXCEEDED,
                format!(
                    "the operation asks for {} root fields (aliases included); at most {MAX_ROOT_FIELDS}",
                    roots.len()
                ),
            ));
        }
        if !signed_in {
            let allowed = |name: &str| {
                name == "__typename"
                    || (op.node.ty == OperationType::Mutation && name == "login")
            };
            if !roots.iter().all(|(_, n)| allowed(n)) {
                return Err(refuse(
                    "UNAUTHENTICATED",
                    "authentication required: without a valid token only the login mutation \
                     (and __typename) is answered"
                        .into(),
                ));
            }
        }
    }
    Ok(())
}

impl Refusal {
    pub fn into_server_error(self) -> ServerError {
        let mut e = ServerError::new(self.message, None);
        let mut ext = ErrorExtensionValues::default();
        ext.set("code", self.code);
        e.extensions = Some(ext);
        e
    }
}

/// Admits a request to execution: parses its document (kept on the request, so it is not
/// parsed again) and [`check`]s it. This must run before async-graphql sees the request: its
/// own recursion-depth and directive checks, which run right after parsing, also walk every
/// fragment spread again and would pay the fan-out's exponential cost themselves.
///
/// # Errors
/// The [`Refusal`] of [`check`]. A document that does not parse is admitted: execution then
/// reports the syntax error as usual.
pub fn admit(request: &mut async_graphql::Request, signed_in: bool) -> Result<(), Refusal> {
    match request.parsed_query() {
        Ok(doc) => check(doc, signed_in),
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn run(q: &str, signed_in: bool) -> Result<(), Refusal> {
        check(&parse_query(q).expect("parses"), signed_in)
    }

    /// `{ ...F<n> }` where each fragment spreads the previous one twice: 2^n fields.
    fn fan_out(levels: usize) -> String {
        let mut q = format!("{{ ...F{levels} }} fragment F0 on QueryRoot {{ __typename }}");
        for i in 1..=levels {
            q.push_str(&format!(" fragment F{i} on QueryRoot {{ ...F{} ...F{} }}", i - 1, i - 1));
        }
        q
    }

    #[test]
    fn fragment_fan_out_is_measured_expanded() {
        // 2^9 = 512 fields: within the limit, and answered for anyone (only __typename).
        assert_eq!(run(&fan_out(9), false), Ok(()));
        // 2^10 = 1,024: over.
        let e = run(&fan_out(10), true).unwrap_err();
        assert_eq!(e.code, LIMIT_EXCEEDED);
        // 2^60 saturates rather than overflowing, and is refused at once.
        let e = run(&fan_out(60), false).unwrap_err();
        assert_eq!(e.code, LIMIT_EXCEEDED, "{}", e.message);
    }

    #[test]
    fn anonymous_documents_may_only_sign_in() {
        assert!(run("{ __typename }", false).is_ok());
        assert!(run(r#"mutation { login(username: "a", password: "b") { token } }"#, false).is_ok());
        for q in [
            "{ me { id } }",
            "{ __schema { types { name } } }",
            "query { ...F } fragment F on QueryRoot { plans { totalCount } }",
            "query { ... on QueryRoot { plans { totalCount } } }",
            r#"mutation { login(username: "a", password: "b") { token } createPlan(input: {}) { id } }"#,
            r#"query { login: me { id } }"#,
            "subscription { __typename }",
        ] {
            if q.starts_with("subscription") {
                continue; // no subscription root yet; parsed but refused by validation
            }
            let e = run(q, false).unwrap_err();
            assert_eq!(e.code, "UNAUTHENTICATED", "{q}");
            assert!(run(q, true).is_ok(), "signed in: {q}");
        }
    }

    #[test]
    fn root_aliases_are_bounded() {
        let many = |n: usize| {
            let mut q = String::from("{");
            for i in 0..n {
                q.push_str(&format!(" a{i}: dashboard {{ led }}"));
            }
            q.push('}');
            q
        };
        assert!(run(&many(MAX_ROOT_FIELDS), true).is_ok());
        let e = run(&many(MAX_ROOT_FIELDS + 1), true).unwrap_err();
        assert_eq!(e.code, LIMIT_EXCEEDED);
        // Through a fragment too.
        let q = format!("{{ ...R }} fragment R on QueryRoot {}", &many(MAX_ROOT_FIELDS + 1));
        assert_eq!(run(&q, true).unwrap_err().code, LIMIT_EXCEEDED);
    }

    #[test]
    fn depth_counts_through_fragments() {
        let mut q = String::from("{ ...D0 }");
        for i in 0..(MAX_DEPTH + 1) {
            q.push_str(&format!(" fragment D{i} on T {{ f {{ ...D{} }} }}", i + 1));
        }
        q.push_str(&format!(" fragment D{} on T {{ x }}", MAX_DEPTH + 1));
        assert_eq!(run(&q, true).unwrap_err().code, LIMIT_EXCEEDED);
    }

    #[test]
    fn fragment_cycles_end() {
        // Refused by validation later; here the walk must simply end.
        let q = "{ ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }";
        assert!(run(q, true).is_ok());
    }
}
