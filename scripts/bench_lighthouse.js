// Lighthouse (mobile, simulated slow 4G: the tool's defaults; the median of
// three runs) on every public page and on the signed-in pages, then the bytes of a repeat visit measured in
// Chromium itself. Run by scripts/bench-lighthouse.sh, which builds, seeds the
// demo data, starts the server and installs Lighthouse.
//
//   node scripts/bench_lighthouse.js http://127.0.0.1:3400 out-dir
//
// Signed-in pages use the demo accounts (`guichet demo`): the applicant's
// requests, a draft's wizard (steps 1 and 3), the client space, and the
// instructor's dashboard. Lighthouse gets the session cookie as a header.
const { chromium } = require('playwright-core');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const base = process.argv[2] ?? 'http://127.0.0.1:3400';
const out = process.argv[3] ?? 'target/lighthouse/reports';
const lighthouse = path.resolve(__dirname, '../target/lighthouse/node_modules/.bin/lighthouse');
const password = process.env.BENCH_PASSWORD ?? 'demonstration-guichet-occitanie';
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Signs `email` in; answers the cookie header and the context's state. */
async function signIn(browser, email) {
  const context = await browser.newContext();
  const post = (p, form) =>
    context.request.post(base + p, { form: form ?? {}, headers: { Origin: base } });
  const login = await post('/api/auth/login', { email, password });
  if (!login.ok()) throw new Error(`${email}: sign-in refused (${login.status()})`);
  const state = await context.storageState();
  const cookie = state.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  let draft = null;
  if (email.startsWith('demandeur')) {
    const mine = await (await post('/api/requests/mine')).json();
    draft = mine.find((r) => r.state === 'draft')?.id;
    if (draft === undefined) draft = await (await post('/api/requests/create')).json();
  }
  await context.close();
  return { cookie, state, draft };
}

/** Bytes and requests of a first visit, then of a second one (same tab). */
async function repeatVisit(browser, url, state) {
  const context = await browser.newContext({ storageState: state });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  let bytes = 0;
  let requests = 0;
  // What crossed the network: a file from the cache costs no byte.
  cdp.on('Network.loadingFinished', (e) => {
    bytes += e.encodedDataLength;
    if (e.encodedDataLength > 0) requests += 1;
  });
  const visit = async () => {
    bytes = 0;
    requests = 0;
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('body[data-hydrated]', { timeout: 30_000 });
    await page.waitForLoadState('networkidle');
    return { bytes, requests };
  };
  const first = await visit();
  // Another navigation, not a reload (a reload revalidates everything).
  await page.goto('about:blank');
  const second = await visit();
  await context.close();
  return { first, second };
}

/** Lighthouse `runs` times (BENCH_RUNS, 3 by default); the run of median score. */
function medianLighthouse(url, cookie, name) {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const results = [];
  for (let i = 0; i < runs; i++) results.push(runLighthouse(url, cookie, `${name}-${i + 1}`));
  results.sort((a, b) => a.score - b.score || b.lcp - a.lcp);
  const median = results[Math.floor(results.length / 2)];
  return { ...median, scores: results.map((r) => r.score), lcps: results.map((r) => r.lcp) };
}

function runLighthouse(url, cookie, name) {
  const file = path.join(out, `${name}.json`);
  const args = [
    url,
    `--chrome-path=${chromiumPath}`,
    '--chrome-flags=--headless=new --no-sandbox --disable-gpu',
    '--only-categories=performance',
    '--output=json',
    `--output-path=${file}`,
    '--quiet',
  ];
  if (cookie) args.push(`--extra-headers=${JSON.stringify({ Cookie: cookie })}`);
  execFileSync(lighthouse, args, { stdio: 'inherit', env: { ...process.env, CHROME_PATH: chromiumPath } });
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  const audit = (id) => report.audits[id]?.numericValue;
  return {
    score: Math.round(report.categories.performance.score * 100),
    fcp: audit('first-contentful-paint'),
    lcp: audit('largest-contentful-paint'),
    tbt: audit('total-blocking-time'),
    cls: audit('cumulative-layout-shift'),
    bytes: audit('total-byte-weight'),
  };
}

(async () => {
  fs.mkdirSync(out, { recursive: true });
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  const applicant = await signIn(browser, 'demandeur@occitanie.example');
  const instructor = await signIn(browser, 'instructeur@guichet.example');
  await browser.close();
  const pages = [
    ['accueil', '/', null],
    ['connexion', '/connexion', null],
    ['inscription', '/inscription', null],
    ['accessibilite', '/accessibilite', null],
    ['demandes', '/demandes', applicant],
    ['assistant-etape-1', `/demandes/${applicant.draft}/etape/1`, applicant],
    ['assistant-etape-3', `/demandes/${applicant.draft}/etape/3`, applicant],
    ['espace', '/espace', applicant],
    ['instruction', '/instruction', instructor],
  ];
  const rows = [];
  for (const [name, p, who] of pages) {
    const lh = medianLighthouse(base + p, who?.cookie, name);
    const b = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    const visits = await repeatVisit(b, base + p, who?.state);
    await b.close();
    rows.push({ name, path: p, ...lh, ...visits });
    console.error(`${p}: scores ${lh.scores.join(', ')}; LCP ${lh.lcps.map((l) => (l / 1000).toFixed(2)).join(', ')} s`);
  }
  const kib = (n) => (n / 1024).toFixed(1);
  const lines = [
    '| Page | Performance (median; all runs) | FCP | LCP (all runs) | TBT | CLS | First visit | Repeat visit |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| \`${r.path.replace(/\/\d+\//, '/{id}/')}\` | ${r.score} (${r.scores.join(', ')}) | ${(r.fcp / 1000).toFixed(2)} s | ` +
        `${(r.lcp / 1000).toFixed(2)} s (${r.lcps.map((l) => (l / 1000).toFixed(2)).join(', ')}) | ${Math.round(r.tbt)} ms | ${r.cls.toFixed(3)} | ` +
        `${kib(r.first.bytes)} KiB, ${r.first.requests} req. | ${kib(r.second.bytes)} KiB, ${r.second.requests} req. |`,
    );
  }
  fs.writeFileSync(path.join(out, 'summary.json'), JSON.stringify(rows, null, 2));
  console.log(lines.join('\n'));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
