import { test, expect, type Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';
import { example, hydrated, instructorIn, requestOf, signUpAndIn, watchConsole } from './helpers';

// A screenshot of every page, at each state, written to end2end/screenshots
// for a person to review; and what a person would see wrong at a glance,
// asserted on each: an error shown on a form nobody touched, an icon that
// does not render (a missing image shows as a solid square), a date a French
// reader would not write.

const shots = path.join(__dirname, '..', 'screenshots');
const password = 'cheval agrafe batterie correcte';
const base = `http://127.0.0.1:${process.env.E2E_PORT ?? 3107}`;
const headers = { Origin: base, Accept: 'application/json' };
let shot = 0;

test.beforeAll(() => {
  fs.rmSync(shots, { recursive: true, force: true });
  fs.mkdirSync(shots, { recursive: true });
});

/** Every icon drawn by a DSFR class: its pseudo-element's mask. */
async function icons(page: Page): Promise<{ element: string; mask: string }[]> {
  return page.evaluate(() => {
    const out: { element: string; mask: string }[] = [];
    for (const el of Array.from(document.querySelectorAll('*'))) {
      const box = (el as HTMLElement).getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      for (const pseudo of ['::before', '::after']) {
        const s = getComputedStyle(el, pseudo);
        if (s.content === 'none' || s.display === 'none') continue;
        const mask = s.maskImage || s.webkitMaskImage || 'none';
        // An icon: a DSFR icon class, or a pseudo-element painted with the
        // text colour through a mask (the DSFR's way of drawing icons).
        const iconClass = Array.from(el.classList).some((c) => c.startsWith('fr-icon-') || c.includes('--icon'));
        const painted = s.backgroundColor !== 'rgba(0, 0, 0, 0)' && s.backgroundColor !== 'transparent';
        if (mask !== 'none' || (iconClass && painted && pseudo === '::before')) {
          out.push({ element: `${el.tagName.toLowerCase()}.${Array.from(el.classList).join('.')}${pseudo}`, mask });
        }
      }
    }
    return out;
  });
}

/** What a person would see wrong on the page as it is now. */
async function expectLooksRight(page: Page, name: string, untouched: boolean): Promise<void> {
  await page.evaluate(() => document.fonts.ready);
  // Icons: each one has an image, and each image loads.
  const drawn = await icons(page);
  const solid = drawn.filter((i) => i.mask === 'none').map((i) => i.element);
  expect(solid, `${name}: icons without an image (a solid square)`).toEqual([]);
  const urls = new Set(drawn.map((i) => i.mask.match(/url\("?([^")]+)"?\)/)?.[1]).filter(Boolean) as string[]);
  for (const url of urls) {
    const res = await page.request.get(url);
    expect(res.status(), `${name}: icon ${url}`).toBe(200);
    expect(res.headers()['content-type'], `${name}: icon ${url}`).toContain('image/svg+xml');
  }
  // Dates: in French, never `2027-03-01` or an English month.
  const text = await page.locator('body').innerText();
  expect(text.match(/\b\d{4}-\d{2}-\d{2}\b/g) ?? [], `${name}: ISO dates`).toEqual([]);
  expect(
    // Whole words only: « Marchés publics » is French.
    text.match(/(?<!\p{L})(January|February|March|April|June|July|August|September|October|November|December)(?!\p{L})/gu) ?? [],
    `${name}: English months`,
  ).toEqual([]);
  if (untouched) {
    // No error message or error icon on a form nobody has touched.
    const errors = page.locator('.fr-error-text, .fr-message--error, .fr-alert--error, .fr-input-group--error, .fr-fieldset--error');
    const visible: string[] = [];
    for (const e of await errors.all()) {
      if (await e.isVisible()) visible.push((await e.evaluate((n) => n.outerHTML)).slice(0, 160));
    }
    expect(visible, `${name}: errors shown before anything was typed`).toEqual([]);
  }
}

/** Opens `url`, waits for hydration, checks and photographs it. */
async function look(page: Page, url: string, name: string, untouched = true): Promise<void> {
  const res = await page.goto(url);
  expect(res?.status(), url).toBeLessThan(500);
  await hydrated(page);
  await snap(page, name, untouched);
}

async function snap(page: Page, name: string, untouched: boolean): Promise<void> {
  await expectLooksRight(page, name, untouched);
  shot += 1;
  await page.screenshot({ path: path.join(shots, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

test('chaque page photographiée, sans erreur affichée d’avance, icônes dessinées, dates en français', async ({ browser }) => {
  test.setTimeout(300_000);
  const stamp = Date.now();

  const visitorContext = await browser.newContext({ locale: 'fr-FR' });
  const visitor = await visitorContext.newPage();
  for (const [url, name] of [
    ['/', 'accueil'],
    ['/connexion', 'connexion'],
    ['/inscription', 'inscription'],
    ['/mot-de-passe-oublie', 'mot-de-passe-oublie'],
    ['/accessibilite', 'accessibilite'],
    ['/conditions-generales', 'conditions-generales'],
    ['/modeles', 'modeles'],
    ['/modeles/marches-publics', 'modele-marches-publics'],
    ['/page-inconnue', 'page-inconnue'],
  ]) {
    await look(visitor, url, name);
  }
  // The sign-in form with its error: shown, and photographed.
  await visitor.goto('/connexion');
  await hydrated(visitor);
  await visitor.getByLabel('Adresse électronique').fill('personne@exemple.fr');
  await visitor.locator('input[name="password"]').fill('pas le bon mot de passe');
  await visitor.getByRole('button', { name: 'Se connecter' }).click();
  await expect(visitor.locator('.fr-alert--error')).toBeVisible();
  await snap(visitor, 'connexion-erreur', false);
  await visitorContext.close();

  // Applicant: an empty draft at each step (nothing typed: no error shown),
  // a filled one, the error state, the summary, the list.
  const applicantContext = await browser.newContext({ locale: 'fr-FR' });
  const applicant = await applicantContext.newPage();
  const console = watchConsole(applicant);
  const email = `visuel.${stamp}@occitanie.fr`;
  await signUpAndIn(applicant, email, password);
  await look(applicant, '/demandes', 'demandes-vide');
  await look(applicant, '/espace', 'espace-vide');
  await look(applicant, '/demandes/nouvelle', 'nouvelle-demande');
  await look(applicant, '/demandes/nouvelle?modele=aides-publiques&siret=20005379100014&intitule=Aides%20%C3%A0%20l%E2%80%99innovation', 'nouvelle-demande-modele');
  const empty = await requestOf(applicant, null);
  for (let n = 1; n <= 6; n++) await look(applicant, `/demandes/${empty}/etape/${n}`, `assistant-vide-etape-${n}`);
  // Started from a template: the review says which, and what changed.
  const filled = await requestOf(applicant, { ...example, contacts: { ...example.contacts, technical: { ...example.contacts.technical, email } } }, false, 'aides-publiques');
  for (let n = 1; n <= 6; n++) await look(applicant, `/demandes/${filled}/etape/${n}`, `assistant-rempli-etape-${n}`);
  // The error state: a required field left empty.
  await applicant.goto(`/demandes/${empty}/etape/2`);
  await hydrated(applicant);
  const title = applicant.getByLabel('Intitulé de la demande');
  await title.focus();
  await title.blur();
  await expect(applicant.locator('#champ-context-title-erreur')).toBeVisible();
  await snap(applicant, 'assistant-etape-2-erreur', false);
  // The organisation search, its list open on a result chosen by keyboard.
  await applicant.goto(`/demandes/${empty}/etape/1`);
  await hydrated(applicant);
  const search = applicant.getByRole('combobox', { name: /Rechercher votre organisation par son nom/ });
  await search.pressSequentially('gironde', { delay: 20 });
  await expect(applicant.getByRole('listbox', { name: 'Organisations trouvées' })).toBeVisible();
  await search.press('ArrowDown');
  await snap(applicant, 'assistant-etape-1-recherche-par-nom', true);
  // The summary: the planned date in words.
  await look(applicant, `/demandes/${filled}`, 'demande-recapitulatif');
  await expect(applicant.getByText('1er mars 2027')).toBeVisible();
  const res = await applicant.request.post(`${base}/api/requests/submit`, { form: { id: String(filled), version: '2' }, headers });
  expect(res.status(), await res.text()).toBe(200);
  await look(applicant, '/demandes', 'demandes-deposee');

  // Instructor: the dashboard and the review, then the acceptance.
  const staffContext = await browser.newContext({ locale: 'fr-FR' });
  const instructor = await instructorIn(staffContext, `instructeur.visuel.${stamp}@beta.gouv.fr`);
  await look(instructor, '/instruction', 'instruction-tableau');
  // Filtered by template: the request started from it, the select showing it.
  await look(instructor, '/instruction?modele=aides-publiques', 'instruction-tableau-modele');
  await expect(instructor.getByLabel('Modèle')).toHaveValue('aides-publiques');
  await expect(instructor.locator('table')).toContainText(`${filled}`);
  await look(instructor, `/instruction/demandes/${filled}`, 'instruction-demande');
  await expect(instructor.getByTestId('modele')).toContainText('« Aides publiques aux entreprises » (version 1)');
  await expect(instructor.getByText('1er mars 2027')).toBeVisible();
  await instructor.getByRole('button', { name: 'Valider' }).click();
  const accept = instructor.getByRole('dialog', { name: 'Valider la demande' });
  await expect(accept).toBeVisible();
  await expect.poll(() => accept.evaluate((e) => getComputedStyle(e).opacity)).toBe('1');
  await snap(instructor, 'instruction-valider', true);
  await accept.getByRole('button', { name: 'Confirmer la validation' }).click();
  await expect(accept).toBeHidden();
  await look(instructor, `/instruction/demandes/${filled}`, 'instruction-demande-validee');

  // The client space with its token: the validity in words.
  await look(applicant, '/espace', 'espace-jeton');
  await expect(applicant.getByText(/expire le \d{1,2}(er)? [a-zéû]+ \d{4}/)).toBeVisible();
  await look(applicant, '/demandes', 'demandes-validee');
  console.check();

  // Administrator: the accounts, the templates, a template's form (as
  // opened, then with a new version in its history), a new one with its errors.
  const adminContext = await browser.newContext({ locale: 'fr-FR' });
  const admin = await instructorIn(adminContext, `admin.visuel.${stamp}@beta.gouv.fr`, password, 'create-admin');
  await look(admin, '/admin/comptes', 'admin-comptes');
  await look(admin, '/admin/modeles', 'admin-modeles');
  await look(admin, '/admin/modeles/subventions-associations', 'admin-modele');
  await admin.getByLabel('Nom du modèle').fill('Subventions aux associations et fondations');
  await admin.locator('label[for="modele-scope-bilans_bdf"]').click();
  await admin.getByRole('button', { name: 'Enregistrer une nouvelle version' }).click();
  await expect(admin.getByRole('status').filter({ hasText: /Version \d+ enregistrée/ })).toBeVisible();
  await snap(admin, 'admin-modele-historique', true);
  await look(admin, '/admin/modeles/nouveau', 'admin-modele-nouveau');
  await admin.getByRole('button', { name: 'Créer le modèle' }).click();
  await expect(admin.locator('#modele-title-erreur')).toBeVisible();
  await snap(admin, 'admin-modele-nouveau-erreurs', false);
  for (const c of [applicantContext, staffContext, adminContext]) await c.close();
});
