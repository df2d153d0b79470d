// Runs graphql-http's server audits against a running duban and prints one line per audit.
// Exit status 1 when any MUST audit fails.
// Usage: node http_audit.mjs http://127.0.0.1:PORT/graphql [USER PASSWORD]
//
// The audits ask for `__type` and other fields that duban answers only to a signed-in client
// (without a token only `login` runs), so with USER and PASSWORD every audit request carries
// that user's bearer token; the HTTP rules under test are the same for both.
import { serverAudits } from 'graphql-http';

const [url, user, password] = process.argv.slice(2);
if (!url) {
  console.error('usage: node http_audit.mjs URL [USER PASSWORD]');
  process.exit(2);
}
let fetchFn = fetch;
if (user) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($u:String!,$p:String!){ login(username:$u, password:$p){ token } }',
      variables: { u: user, p: password },
    }),
  });
  const token = (await r.json())?.data?.login?.token;
  if (!token) {
    console.error(`cannot sign in as ${user}`);
    process.exit(2);
  }
  fetchFn = (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
}
const counts = {};
let mustFailed = 0;
for (const audit of serverAudits({ url, fetchFn })) {
  const level = audit.name.split(' ')[0]; // MUST, SHOULD or MAY
  const result = await audit.fn();
  const c = (counts[level] ??= { ok: 0, notOk: 0 });
  if (result.status === 'ok') {
    c.ok += 1;
  } else {
    c.notOk += 1;
    if (level === 'MUST') mustFailed += 1;
  }
  console.log(`${result.status === 'ok' ? 'ok  ' : result.status.padEnd(4)} ${audit.name}${result.status === 'ok' ? '' : ` — ${result.reason}`}`);
}
for (const [level, c] of Object.entries(counts)) {
  console.log(`${level}: ${c.ok} of ${c.ok + c.notOk} pass`);
}
const total = Object.values(counts).reduce((a, c) => a + c.ok + c.notOk, 0);
const ok = Object.values(counts).reduce((a, c) => a + c.ok, 0);
console.log(`audit: ${ok} passed, ${total - ok} failed`);
process.exit(mustFailed > 0 ? 1 : 0);
