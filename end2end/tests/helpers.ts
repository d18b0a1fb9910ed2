import * as OTPAuth from 'otpauth';
import { execFileSync } from 'child_process';
import * as path from 'path';
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
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

/** The authenticator apps' secrets (base32) of the staff accounts set up
 * by these tests, by address. */
const appSecrets = new Map<string, string>();

/** The code an authenticator app shows for `email`'s account, `ahead`
 * steps of 30 s from now. */
export function appCode(email: string, ahead = 0): string {
  const secret = appSecrets.get(email);
  expect(secret, `no authenticator app set up for ${email}`).toBeTruthy();
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret as string), digits: 6, period: 30 }).generate({
    timestamp: Date.now() + ahead * 30_000,
  });
}

/** Remembers the secret an app was set up with (read off the setup page). */
export function rememberAppSecret(email: string, secret: string): void {
  appSecrets.set(email, secret.replace(/\s+/g, ''));
}

/** Signs the page's context in through the API: password, then for staff
 * the second factor (the app set up at the first sign-in, its code
 * computed here as a phone computes it). */
export async function apiSignIn(page: Page, email: string, password: string): Promise<void> {
  const base = process.env.E2E_BASE ?? `http://127.0.0.1:${process.env.E2E_PORT ?? 3107}`;
  const headers = { Origin: base, Accept: 'application/json' };
  let res = await page.request.post(`${base}/api/auth/login`, { form: { email, password }, headers });
  expect(res.status(), await res.text()).toBe(200);
  const target = (await res.json()) as string;
  if (target.startsWith('/connexion/double-authentification')) {
    res = await page.request.post(`${base}/api/auth/second_factor_setup`, { headers });
    rememberAppSecret(email, (await res.json()).secret);
    res = await page.request.post(`${base}/api/auth/activate_second_factor`, { form: { code: appCode(email) }, headers });
    expect(res.status(), await res.text()).toBe(200);
  } else if (target.startsWith('/connexion/code')) {
    // A code already used is refused: the next one is valid too.
    for (const ahead of [0, 1]) {
      res = await page.request.post(`${base}/api/auth/verify_second_factor`, { form: { code: appCode(email, ahead) }, headers });
      if (res.status() === 200) break;
    }
    expect(res.status(), await res.text()).toBe(200);
  }
}

/** A complete request of the Région Occitanie (the seed's example). */
export const example = {
  organisation: { siret: '200 053 791 00014', name: 'Région Occitanie', legal_category: '7230', active: true, justification: '' },
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

/** An instructor (or, with `create-admin`, an administrator) created on the
 * command line, password chosen, signed in. */
export async function instructorIn(
  context: BrowserContext,
  email: string,
  password = 'cheval agrafe batterie correcte',
  command: 'create-instructor' | 'create-admin' = 'create-instructor',
): Promise<Page> {
  const out = runGuichet(['admin', command, '--email', email]);
  const link = out.match(/https?:\/\/\S+jeton=[A-Za-z0-9_-]+/)?.[0] as string;
  expect(link, out).toBeTruthy();
  const page = await context.newPage();
  const token = new URL(link).searchParams.get('jeton') as string;
  const base = `http://127.0.0.1:${process.env.E2E_PORT ?? 3107}`;
  const headers = { Origin: base, Accept: 'application/json' };
  const res = await page.request.post(`${base}/api/auth/choose_password`, { form: { token, password }, headers });
  expect(res.status()).toBe(200);
  await apiSignIn(page, email, password);
  return page;
}

/** The instructor's acceptance of request `id` with `scopes`, through the API. */
export async function acceptAs(instructor: Page, id: number, scopes: string[]): Promise<void> {
  const base = `http://127.0.0.1:${process.env.E2E_PORT ?? 3107}`;
  const headers = { Origin: base, Accept: 'application/json' };
  let res = await instructor.request.post(`${base}/api/instruction/review`, { headers, form: { id: String(id) } });
  const version = (await res.json()).version;
  res = await instructor.request.post(`${base}/api/instruction/accept`, {
    headers,
    data: { id, version, scopes, message: '' },
  });
  expect(res.status(), await res.text()).toBe(200);
}

/** From the instructor's acceptance of request `id` to the API: the email to
 * the technical contact with its password link, the password chosen, "Mon
 * espace", the token shown and copied with the button (read back from the
 * clipboard), a call in its scopes (200) and one outside them (403 00100),
 * then the instructor's revocation and the next call refused (401 00105).
 * `recipient`: the SIRET of the organisation calling. */
export async function fromAcceptanceToApiCall(
  browser: Browser,
  id: number,
  technical: string,
  title: string,
  recipient: string,
): Promise<void> {
  const password = 'cheval agrafe batterie correcte';
  const base = `http://127.0.0.1:${process.env.E2E_PORT ?? 3107}`;
  let res;
  // The instructor accepts.
  const instructorContext = await browser.newContext({ locale: 'fr-FR' });
  const instructor = await instructorIn(instructorContext, `instructeur.${Date.now()}@beta.gouv.fr`);
  await instructor.goto(`/instruction/demandes/${id}`);
  await hydrated(instructor);
  await instructor.getByRole('button', { name: 'Valider' }).click();
  const accept = instructor.getByRole('dialog', { name: 'Valider la demande' });
  await expect(accept).toBeVisible();
  await accept.getByRole('button', { name: 'Confirmer la validation' }).click();
  await expect(accept).toBeHidden();
  await expect(instructor.getByRole('button', { name: 'Révoquer l’accès' })).toBeVisible();

  // The technical contact's email: the terms and a link to choose a password.
  const link = await waitForMailLink(technical, `Demande n° ${id} validée`);
  const mail = readMails().find((m) => m.to.includes(technical) && m.subject.includes(`Demande n° ${id} validée`));
  expect(mail?.text).toContain('/conditions-generales');
  const techContext = await browser.newContext({ locale: 'fr-FR', permissions: ['clipboard-read', 'clipboard-write'] });
  const tech = await techContext.newPage();
  const techConsole = watchConsole(tech);
  await tech.goto(link);
  await hydrated(tech);
  await tech.locator('input[name="password"]').fill(password);
  await tech.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
  await expect(tech.getByRole('heading', { name: 'Mot de passe enregistré' })).toBeVisible();
  await tech.goto('/connexion');
  await hydrated(tech);
  await tech.getByLabel('Adresse électronique').fill(technical);
  await tech.locator('input[name="password"]').fill(password);
  await tech.getByRole('button', { name: 'Se connecter' }).click();
  await expect(tech).toHaveURL(/\/demandes$/);

  // Mon espace: the token, hidden until asked for, copied with the button.
  await tech.getByRole('link', { name: 'Mon espace' }).click();
  await expect(tech).toHaveURL(/\/espace$/);
  await hydrated(tech);
  const card = tech.getByTestId(`jeton-${id}`);
  await expect(card).toContainText(title);
  await expect(card).toContainText('Nouveau');
  await expect(card).toContainText('Validité restante : 547 jour(s)');
  await expect(tech.getByText('Ne le transmettez jamais par courriel')).toBeVisible();
  await expect(card.getByTestId('jeton')).toHaveCount(0);
  await expectNoAxeViolations(tech);
  await card.getByRole('button', { name: 'Afficher le jeton' }).click();
  const shown = card.getByTestId('jeton');
  await expect(shown).toHaveValue(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
  await card.getByRole('button', { name: 'Copier le jeton' }).click();
  await expect(card.getByRole('status')).toHaveText('Jeton copié dans le presse-papiers.');
  const copied = await tech.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(await shown.inputValue());
  await expectNoAxeViolations(tech);

  // The token calls the API: in its scopes 200, outside them 403 00100.
  const params = `context=Aides&object=Dossier%2042&recipient=${recipient}`;
  const bearer = { Authorization: `Bearer ${copied}` };
  res = await tech.request.get(`${base}/v4/insee/sirene/unites_legales/418166096?${params}`, { headers: bearer });
  expect(res.status(), await res.text()).toBe(200);
  const body = await res.json();
  expect(body.data.type).toBe('personne_morale');
  expect(res.headers()['x-donnees-fictives']).toBe('true');
  expect(res.headers()['ratelimit-limit']).toBe('250');
  res = await tech.request.get(`${base}/v4/dgfip/unites_legales/418166096/attestation_fiscale?${params}`, { headers: bearer });
  expect(res.status()).toBe(403);
  expect((await res.json()).errors[0].code).toBe('00100');

  // Revoked by the instructor: refused from the next call.
  await instructor.getByRole('button', { name: 'Révoquer l’accès' }).click();
  const revoke = instructor.getByRole('dialog', { name: 'Révoquer l’accès' });
  await expect(revoke).toBeVisible();
  await revoke.getByLabel(/Motif de la révocation/).fill('Fin du marché.');
  await revoke.getByRole('button', { name: 'Confirmer la révocation' }).click();
  await expect(revoke).toBeHidden();
  res = await tech.request.get(`${base}/v4/insee/sirene/unites_legales/418166096?${params}`, { headers: bearer });
  expect(res.status()).toBe(401);
  expect((await res.json()).errors[0].code).toBe('00105');
  techConsole.check();
  await instructorContext.close();
  await techContext.close();
}

/** What has the keyboard focus: its id, label, accessible name and text. */
export async function focused(page: Page): Promise<{ id: string; label: string; name: string; tag: string }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return { id: '', label: '', name: '', tag: '' };
    const label = ((el as HTMLInputElement).labels?.[0]?.textContent ?? '').trim();
    const name = (el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
    return { id: el.id, label, name, tag: el.tagName.toLowerCase() };
  });
}

/** The focused element shows where the focus is: an outline or a ring on
 * it or its ::before, or, for a DSFR checkbox (the input is hidden), on its
 * label. */
export async function expectVisibleFocus(page: Page): Promise<void> {
  const ring = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return 'aucun élément';
    const shows = (s: CSSStyleDeclaration) =>
      (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1) || (s.boxShadow !== 'none' && s.boxShadow !== '');
    // On the element, or on its ::before (DSFR's enlarged links draw the
    // ring on a pseudo-element covering their block).
    if (shows(getComputedStyle(el)) || shows(getComputedStyle(el, '::before')) || shows(getComputedStyle(el, '::after'))) return '';
    const label = (el as HTMLInputElement).labels?.[0];
    if (label && (shows(getComputedStyle(label, '::before')) || shows(getComputedStyle(label)))) return '';
    return `${el.tagName.toLowerCase()}#${el.id} « ${(el.textContent ?? '').trim().slice(0, 40)} »`;
  });
  expect(ring, `focus invisible sur ${ring}`).toBe('');
}

/** Presses Tab (only Tab) until the focus is on what `matches` accepts;
 * checks at each stop that the focus is visible. */
export async function tabTo(
  page: Page,
  matches: (f: { id: string; label: string; name: string; tag: string }) => boolean,
  what: string,
  max = 150,
): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    // Past the last element the focus leaves the page for the browser's
    // own controls (the document's body is then active): Tab goes on.
    if (f.tag === 'body') continue;
    await expectVisibleFocus(page);
    if (matches(f)) return;
  }
  throw new Error(`la touche Tab n’atteint jamais ${what}`);
}

/** Holds a write lock on the e2e server's SQLite file from another process
 * (Python's sqlite3, `BEGIN IMMEDIATE`) until `release()`. */
export async function lockDatabase(): Promise<{ release: () => Promise<void> }> {
  const { spawn } = await import('child_process');
  const script = [
    'import sqlite3, sys',
    'db = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)',
    'db.execute("BEGIN IMMEDIATE")',
    'print("verrou", flush=True)',
    'sys.stdin.readline()',
    'db.execute("ROLLBACK")',
  ].join('\n');
  const child = spawn('python3', ['-c', script, path.join(dataDir, 'guichet.db')], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d) => (String(d).includes('verrou') ? resolve() : undefined));
    child.on('exit', (code) => reject(new Error(`le verrou s’est arrêté (${code})`)));
  });
  return {
    release: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.on('exit', () => resolve());
        child.stdin.write('\n');
      }),
  };
}

const apiBase = `http://127.0.0.1:${process.env.E2E_PORT ?? 3107}`;
const apiHeaders = { Origin: apiBase, Accept: 'application/json' };

/** A request of the page's account, through the API: created, filled with
 * `data` (none: left empty), and submitted when asked. Answers its id. */
export async function requestOf(page: Page, data: unknown, submit = false, template?: string): Promise<number> {
  let res = template
    ? await page.request.post(`${apiBase}/api/requests/start_from_template`, { form: { modele: template }, headers: apiHeaders })
    : await page.request.post(`${apiBase}/api/requests/create`, { headers: apiHeaders });
  expect(res.status()).toBe(200);
  const id = Number(await res.text());
  if (data === null) return id;
  res = await page.request.post(`${apiBase}/api/requests/save`, {
    headers: { ...apiHeaders, 'Content-Type': 'application/json' },
    data: { id, version: 1, save_id: `essai-${id}`, data },
  });
  expect(res.status(), await res.text()).toBe(200);
  if (submit) {
    res = await page.request.post(`${apiBase}/api/requests/submit`, { form: { id: String(id), version: '2' }, headers: apiHeaders });
    expect(res.status(), await res.text()).toBe(200);
  }
  return id;
}

/** From "Mes demandes": "Nouvelle demande", then "Demande libre" (no template). */
export async function newFreeRequest(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Nouvelle demande' }).click();
  await expect(page).toHaveURL(/\/demandes\/nouvelle$/);
  await hydrated(page);
  await page.getByRole('button', { name: 'Demande libre' }).click();
}

/** The wizard's save status says the last change is saved. */
export async function saved(page: Page): Promise<void> {
  await expect(page.getByTestId('save-status')).toHaveText(/Enregistré à \d\d:\d\d/, { timeout: 10_000 });
}

/** "Étape suivante", to step `n`. */
export async function nextStep(page: Page, n: number): Promise<void> {
  await page.getByRole('link', { name: 'Étape suivante' }).click();
  await expect(page).toHaveURL(new RegExp(`/etape/${n}$`));
  await expect(page.getByText(`Étape ${n} sur 6`)).toBeVisible();
}
