//! GraphiQL served from the binary, so the API can be explored on networks cut off from the
//! internet (政务内网/外网 often are): no script, style or font comes from a CDN, and the page's
//! Content-Security-Policy lets the browser load nothing from anywhere but this server.
//!
//! The assets are the npm packages' own builds, vendored unchanged but for the source-map
//! comment: `graphiql` 3.9.0 (its UMD build, the last major version with one) with `react` and
//! `react-dom` 18.3.1, MIT-licensed (`assets/LICENSE-*`).

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Everything the page may load, by file name.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/react-dom.production.min.js"),
    ),
    (
        "init.js",
        "text/javascript; charset=utf-8",
        INIT_JS.as_bytes(),
    ),
];

/// Only this server, for everything; GraphiQL's editors set inline styles.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
                   frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const PAGE: &str = r#"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>duban 督办 — GraphiQL</title>
<link rel="stylesheet" href="/graphiql/graphiql.min.css">
</head>
<body style="margin:0">
<div id="graphiql" style="height:100vh">Loading…</div>
<script src="/graphiql/react.production.min.js"></script>
<script src="/graphiql/react-dom.production.min.js"></script>
<script src="/graphiql/graphiql.min.js"></script>
<script src="/graphiql/init.js"></script>
</body>
</html>
"#;

/// Starts GraphiQL against `/graphql`. Without a token only `login` answers, so the default
/// document signs in; the token then goes into the Headers tab as `Authorization`.
const INIT_JS: &str = r#"(function () {
  var fetcher = GraphiQL.createFetcher({ url: '/graphql' });
  var defaultQuery = [
    '# Sign in (demo accounts: office / office-demo, leader / leader-demo), then put',
    '#   { "Authorization": "Bearer <token>" }',
    '# into the Headers tab below and reload the documentation (the book icon).',
    'mutation {',
    '  login(username: "office", password: "office-demo") { token expiresAt }',
    '}',
    ''
  ].join('\n');
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: true
    })
  );
})();
"#;

/// The GraphiQL page.
pub async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        PAGE,
    )
        .into_response()
}

/// One of the page's assets, by name; anything else is 404.
pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, media, bytes)) => (
            [
                (header::CONTENT_TYPE, *media),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
