import { execFileSync } from 'child_process';
import * as path from 'path';
import { expect, type BrowserContext, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

const dataDir = path.join(__dirname, '..', '.data');

/** Inserts requests straight into the server's SQLite file (Python's sqlite3). */
export function insertRequests(state: string, n: number): void {
  const script = [
    'import sqlite3, sys, time',
    'db = sqlite3.connect(sys.argv[1], timeout=10)',
    'now = int(time.time() * 1000)',
    'db.executemany("INSERT INTO requests (state, created_at, updated_at) VALUES (?, ?, ?)", [(sys.argv[2], now, now)] * int(sys.argv[3]))',
    'db.commit()',
  ].join('\n');
  execFileSync('python3', ['-c', script, path.join(dataDir, 'guichet.db'), state, String(n)]);
}

/** Collects console errors and failed page loads (but the `expected` ones); call
 * `check()` at the end. */
export function watchConsole(page: Page, expected: RegExp[] = []): { check: () => void } {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !expected.some((re) => re.test(msg.text()))) {
      problems.push(`console: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  return {
    check: () => expect(problems, problems.join('\n')).toEqual([]),
  };
}

/** Runs axe-core on the page and fails on any violation. */
export async function expectNoAxeViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const summary = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(summary, summary.join('\n')).toEqual([]);
}

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** The emails the SMTP sink received from the server (end2end/.data/smtp), oldest first. */
export function readMails(): Mail[] {
  const script = [
    'import email, glob, json, os, sys',
    'from email import policy',
    'out = []',
    'for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.eml")), key=os.path.getmtime):',
    '    with open(f, "rb") as fh:',
    '        m = email.message_from_binary_file(fh, policy=policy.default)',
    '    out.append({"to": str(m["To"]), "subject": str(m["Subject"]), "text": m.get_body(preferencelist=("plain",)).get_content()})',
    'print(json.dumps(out))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, path.join(dataDir, 'smtp')]).toString());
}

/** Waits (up to 15 s) for an email to `to` whose subject contains `subject`
 * and that is not among `seen`; answers the first link in it. */
export async function waitForMailLink(to: string, subject: string, seen = 0): Promise<string> {
  let link: string | undefined;
  await expect
    .poll(
      () => {
        const mails = readMails().filter((m) => m.to.includes(to) && m.subject.includes(subject));
        const mail = mails[seen];
        link = mail?.text.match(/https?:\/\/\S+jeton=[A-Za-z0-9_-]+/)?.[0];
        return link ?? null;
      },
      { timeout: 15_000, message: `courriel « ${subject} » pour ${to}` },
    )
    .not.toBeNull();
  return link as string;
}

/** Waits until the page's WebAssembly has hydrated it. */
export async function hydrated(page: Page): Promise<void> {
  await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 60_000 });
}

/** Runs the `guichet` command line on the e2e server's database; answers its output. */
export function runGuichet(args: string[]): string {
  const root = path.join(__dirname, '..', '..');
  const port = Number(process.env.E2E_PORT ?? 3107);
  return execFileSync(process.env.GUICHET_BIN ?? path.join(root, 'target/debug/guichet'), args, {
    cwd: root,
    env: {
      ...process.env,
      GUICHET_DATA_DIR: dataDir,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      DATABASE_URL: '',
      RUST_LOG: 'warn',
    },
  }).toString();
}

/** Creates an applicant account through the API, confirms it with the emailed link
 * and signs the page's context in. */
export async function signUpAndIn(page: Page, email: string, password: string): Promise<void> {
  const base = process.env.E2E_BASE ?? `http://127.0.0.1:${process.env.E2E_PORT ?? 3107}`;
  const headers = { Origin: base, Accept: 'application/json' };
  let res = await page.request.post(`${base}/api/auth/register`, { form: { email, password }, headers });
  expect(res.status()).toBe(200);
  const link = await waitForMailLink(email, 'Confirmez votre adresse');
  const token = new URL(link).searchParams.get('jeton') as string;
  res = await page.request.post(`${base}/api/auth/confirm_email`, { form: { token }, headers });
  expect(res.status()).toBe(200);
  res = await page.request.post(`${base}/api/auth/login`, { form: { email, password }, headers });
  expect(res.status()).toBe(200);
}

const contact = (tag: string) => ({
  given_name: 'Camille',
  family_name: `Martin-${tag}`,
  email: `${tag}@occitanie.fr`,
  phone: '05 61 33 50 50',
  job_title: 'Chargée de mission',
});

/** A complete request of the Région Occitanie (the seed's example). */
export const example = {
  organisation: { siret: '130 027 376 00016', name: 'Région Occitanie', legal_category: '7230', active: true, justification: '' },
  context: {
    title: 'Instruction des aides régionales',
    description: 'Pré-remplir les formulaires à partir du SIRET.',
    end_users: 'Entreprises demandant une aide régionale',
    expected_volume: '2 000',
    go_live: '2027-03-01',
  },
  data: {
    scopes: ['unites_legales_etablissements_insee'],
    justifications: { unites_legales_etablissements_insee: 'Identifier les entreprises non diffusibles.' },
  },
  legal: {
    basis: 'Code des relations entre le public et l’administration, art. L113-12',
    urls: ['https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000031367364'],
    attachments: [],
    recipients: 'Agents instructeurs des aides',
    retention_months: '36',
    retention_justification: '',
  },
  contacts: { dpo: contact('dpo'), controller: contact('responsable'), business: contact('metier'), technical: contact('technique') },
  terms: { accepted: true, version: '2026-11', accepted_at: null },
};

/** An instructor created on the command line, password chosen, signed in. */
export async function instructorIn(context: BrowserContext, email: string, password = 'cheval agrafe batterie correcte'): Promise<Page> {
  const out = runGuichet(['admin', 'create-instructor', '--email', email]);
  const link = out.match(/https?:\/\/\S+jeton=[A-Za-z0-9_-]+/)?.[0] as string;
  expect(link, out).toBeTruthy();
  const page = await context.newPage();
  const token = new URL(link).searchParams.get('jeton') as string;
  const base = `http://127.0.0.1:${process.env.E2E_PORT ?? 3107}`;
  const headers = { Origin: base, Accept: 'application/json' };
  let res = await page.request.post(`${base}/api/auth/choose_password`, { form: { token, password }, headers });
  expect(res.status()).toBe(200);
  res = await page.request.post(`${base}/api/auth/login`, { form: { email, password }, headers });
  expect(res.status()).toBe(200);
  return page;
}

