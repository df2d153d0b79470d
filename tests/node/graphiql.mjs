// GraphiQL in a real headless Chromium with the network unreachable: the page must render its
// editor from this server alone, sign in, and run a query with the token in its Headers tab.
// Every request to anywhere but the server is aborted and counted; any such request fails the
// check. Usage: node graphiql.mjs http://127.0.0.1:PORT SCREENSHOT.png
import { chromium } from 'playwright-core';

const [base, screenshot] = process.argv.slice(2);
const origin = new URL(base).origin;
const fail = (msg) => {
  console.error(`graphiql: FAILED: ${msg}`);
  process.exitCode = 1;
};

const login = await fetch(`${base}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query: 'mutation { login(username: "office", password: "office-demo") { token } }' }),
});
const token = (await login.json())?.data?.login?.token;
if (!token) throw new Error('cannot sign in as the demo office');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  // A dead proxy for everything but loopback (which Chromium never proxies): no route out.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--proxy-server=http://127.0.0.1:9'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const outside = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin + '/') || url.startsWith('data:')) return route.continue();
    outside.push(url);
    return route.abort();
  });
  // GraphiQL keeps its editors in localStorage: the query to run and the Authorization header.
  await context.addInitScript(([t]) => {
    if (!localStorage.getItem('duban-test-primed')) {
      localStorage.setItem('graphiql:query', '{ me { username role } plans { title } }');
      localStorage.setItem('graphiql:headers', JSON.stringify({ Authorization: `Bearer ${t}` }));
      localStorage.setItem('duban-test-primed', '1');
    }
  }, [token]);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/`, { waitUntil: 'load' });
  await page.waitForSelector('.graphiql-container .CodeMirror', { timeout: 20000 });
  const editors = await page.locator('.CodeMirror').count();
  console.log(`graphiql: editor rendered (${editors} CodeMirror editors)`);
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(
    () => document.querySelector('.graphiql-response')?.textContent?.includes('"username"'),
    null,
    { timeout: 20000 },
  );
  const response = await page.locator('.graphiql-response').innerText();
  if (!response.includes('"office"') || !response.includes('OFFICE') || !response.includes('实施方案')) {
    fail(`unexpected answer: ${response}`);
  }
  else console.log('graphiql: query ran with the token from the Headers tab');
  if (screenshot) await page.screenshot({ path: screenshot });
  if (outside.length) fail(`requests left the machine: ${outside.join(', ')}`);
  else console.log('graphiql: no request left the server');
  if (errors.length) fail(`page errors: ${errors.join('; ')}`);
} finally {
  await browser.close();
}
console.log(process.exitCode ? 'graphiql: 0 passed, 1 failed' : 'graphiql: 1 passed, 0 failed');
