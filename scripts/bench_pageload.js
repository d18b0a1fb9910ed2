// Time until a page is interactive (`body[data-hydrated]`, set once the
// WebAssembly has hydrated it), in Debian's Chromium, on the local link and on
// two throttled links (Chrome DevTools network emulation: latency added to
// every request, bandwidth capped). Median of 3 fresh browser contexts (empty
// cache) per page. Prints requests and bytes of the whole page load.
//
//   bash scripts/run.sh &            # or any running release build
//   node scripts/bench_pageload.js http://127.0.0.1:3000 [label]
//
// With BENCH_EMAIL and BENCH_PASSWORD (an applicant's account, for instance
// the demo one: `target/release/guichet demo --password …`), the signed-in
// pages are timed too: my requests, a draft's wizard step and summary, my
// account. Each fresh context carries the session cookie, not the cache.
const { chromium } = require('playwright-core');

const base = process.argv[2] ?? 'http://127.0.0.1:3000';
const label = process.argv[3] ?? 'build';
const links = [
  ['local', null],
  ['4G-like (150 ms, 9 Mbit/s)', { latency: 150, down: 9e6 }],
  ['slow (400 ms, 1.6 Mbit/s)', { latency: 400, down: 1.6e6 }],
];
const pages = ['/', '/connexion', '/accessibilite'];

/// Signs in once; answers the session to give each context and adds the
/// signed-in pages (on a draft of the account, created when it has none).
async function signIn(browser) {
  const context = await browser.newContext();
  const post = (path, form) =>
    context.request.post(base + path, { form: form ?? {}, headers: { Origin: base } });
  const login = await post('/api/auth/login', {
    email: process.env.BENCH_EMAIL,
    password: process.env.BENCH_PASSWORD,
  });
  if (!login.ok()) throw new Error(`sign-in refused: ${login.status()} ${await login.text()}`);
  const mine = await (await post('/api/requests/mine')).json();
  let draft = mine.find((r) => r.state === 'draft')?.id;
  if (draft === undefined) draft = await (await post('/api/requests/create')).json();
  pages.push('/demandes', `/demandes/${draft}/etape/2`, `/demandes/${draft}`, '/mon-compte');
  const state = await context.storageState();
  await context.close();
  return state;
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-quic'],
  });
  const storageState = process.env.BENCH_EMAIL ? await signIn(browser) : undefined;
  for (const [name, link] of links) {
    for (const path of pages) {
      const times = [];
      let requests = 0;
      let bytes = 0;
      for (let i = 0; i < 3; i++) {
        const context = await browser.newContext({ storageState });
        const page = await context.newPage();
        if (link) {
          const cdp = await context.newCDPSession(page);
          await cdp.send('Network.enable');
          await cdp.send('Network.emulateNetworkConditions', {
            offline: false,
            latency: link.latency,
            downloadThroughput: link.down / 8,
            uploadThroughput: 750e3 / 8,
          });
        }
        requests = 0;
        bytes = 0;
        page.on('requestfinished', async (r) => {
          const s = await r.sizes();
          requests += 1;
          bytes += s.responseBodySize + s.responseHeadersSize;
        });
        const start = Date.now();
        await page.goto(base + path);
        await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 120_000 });
        times.push(Date.now() - start);
        await context.close();
      }
      times.sort((a, b) => a - b);
      console.log(
        `${label}\t${name}\t${path}\trequests ${requests}\t${(bytes / 1024).toFixed(0)} KiB\tinteractive after ${times[1]} ms`,
      );
    }
  }
  await browser.close();
})();
