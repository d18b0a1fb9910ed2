import { test, expect, type Page } from '@playwright/test';
import {
  apiSignIn,
  example,
  expectNoAxeViolations,
  expectVisibleFocus,
  focused,
  hydrated,
  instructorIn,
  requestOf,
  runGuichet,
  signUpAndIn,
  tabTo,
  watchConsole,
} from './helpers';

const password = 'cheval agrafe batterie correcte';
const base = `http://127.0.0.1:${process.env.E2E_PORT ?? 3107}`;
const headers = { Origin: base, Accept: 'application/json' };

/** Opens `path`, waits for hydration, runs axe. */
async function audit(page: Page, path: string): Promise<void> {
  const res = await page.goto(path);
  expect(res?.status(), path).toBeLessThan(500);
  await hydrated(page);
  await expectNoAxeViolations(page);
}

test('axe ne relève aucune violation sur chaque page des parcours visiteur, demandeur, instructeur, administrateur', async ({ browser }) => {
  test.setTimeout(240_000);
  const stamp = Date.now();

  // Visitor.
  const visitorContext = await browser.newContext({ locale: 'fr-FR' });
  const visitor = await visitorContext.newPage();
  for (const path of [
    '/',
    '/accessibilite',
    '/conditions-generales',
    '/connexion',
    '/inscription',
    '/mot-de-passe-oublie',
    '/nouveau-mot-de-passe?jeton=inconnu',
    '/choisir-mot-de-passe?jeton=inconnu',
    '/confirmer-email?jeton=inconnu',
    '/page-inconnue',
  ]) {
    await audit(visitor, path);
  }
  // A form with its errors shown.
  await visitor.goto('/connexion');
  await hydrated(visitor);
  await visitor.getByLabel('Adresse électronique').fill('personne@exemple.fr');
  await visitor.locator('input[name="password"]').fill('pas le bon mot de passe');
  await visitor.getByRole('button', { name: 'Se connecter' }).click();
  await expect(visitor.locator('.fr-alert--error')).toContainText('mot de passe incorrect');
  await expectNoAxeViolations(visitor);
  await visitorContext.close();

  // Applicant: empty list, a draft at each step, a submitted request, the
  // account, an empty space.
  const applicantContext = await browser.newContext({ locale: 'fr-FR' });
  const applicant = await applicantContext.newPage();
  const applicantConsole = watchConsole(applicant);
  await signUpAndIn(applicant, `a11y.${stamp}@occitanie.fr`, password);
  await audit(applicant, '/demandes');
  await audit(applicant, '/espace');
  await audit(applicant, '/mon-compte');
  const draft = await requestOf(applicant, { ...example, context: { ...example.context, title: '' } }, false);
  for (let n = 1; n <= 6; n++) {
    await audit(applicant, `/demandes/${draft}/etape/${n}`);
  }
  // Step 2 with the missing title's error shown.
  await applicant.goto(`/demandes/${draft}/etape/2`);
  await hydrated(applicant);
  const title = applicant.getByLabel('Intitulé de la demande');
  await title.focus();
  await title.blur();
  await expect(applicant.locator('#champ-context-title-erreur')).toBeVisible();
  await expectNoAxeViolations(applicant);
  const submitted = await requestOf(applicant, example, true);
  await audit(applicant, `/demandes/${submitted}`);
  await audit(applicant, '/demandes');
  applicantConsole.check();

  // Instructor: the dashboard (filtered too), the review, each dialog.
  const staffContext = await browser.newContext({ locale: 'fr-FR' });
  const instructor = await instructorIn(staffContext, `instructeur.a11y.${stamp}@beta.gouv.fr`);
  await audit(instructor, '/instruction');
  await audit(instructor, '/instruction?etat=submitted&q=occitanie');
  await audit(instructor, `/instruction/demandes/${submitted}`);
  for (const [button, dialog] of [
    ['Demander des modifications', 'Demander des modifications'],
    ['Refuser', 'Refuser la demande'],
    ['Valider', 'Valider la demande'],
  ]) {
    await instructor.getByRole('button', { name: button, exact: true }).click();
    const modal = instructor.getByRole('dialog', { name: dialog });
    await expect(modal).toBeVisible();
    // Audited once opened: during DSFR's fade-in its colours are
    // half-transparent.
    await expect.poll(() => modal.evaluate((e) => getComputedStyle(e).opacity)).toBe('1');
    await expectNoAxeViolations(instructor);
    // Escape closes it, and the focus goes back to the button.
    await instructor.keyboard.press('Escape');
    await expect(modal).toBeHidden();
  }
  await audit(instructor, '/mon-compte');

  // Administrator.
  const out = runGuichet(['admin', 'create-admin', '--email', `admin.a11y.${stamp}@beta.gouv.fr`]);
  const link = out.match(/https?:\/\/\S+jeton=[A-Za-z0-9_-]+/)?.[0] as string;
  const adminContext = await browser.newContext({ locale: 'fr-FR' });
  const admin = await adminContext.newPage();
  await audit(admin, new URL(link).pathname + new URL(link).search);
  const token = new URL(link).searchParams.get('jeton') as string;
  const res = await admin.request.post(`${base}/api/auth/choose_password`, { form: { token, password }, headers });
  expect(res.status()).toBe(200);
  await apiSignIn(admin, `admin.a11y.${stamp}@beta.gouv.fr`, password);
  await audit(admin, '/admin/comptes');
  await audit(admin, '/instruction');

  for (const c of [applicantContext, staffContext, adminContext]) await c.close();
});

test('au clavier seul, le demandeur remplit les six étapes et dépose, le focus toujours visible', async ({ page }) => {
  test.setTimeout(240_000);
  const stamp = Date.now();
  await signUpAndIn(page, `clavier.${stamp}@occitanie.fr`, password);
  const console = watchConsole(page);
  await page.goto('/demandes');
  await hydrated(page);

  // The first Tab reaches the skip link, which leads to the content.
  await page.keyboard.press('Tab');
  expect((await focused(page)).name).toMatch(/contenu/i);
  await expectVisibleFocus(page);

  const byId = (id: string) => (f: { id: string }) => f.id === id;
  const byName = (name: string) => (f: { name: string; tag: string }) => f.name.includes(name) && f.tag !== 'body';
  const saved = () => expect(page.getByTestId('save-status')).toHaveText(/Enregistré à \d\d:\d\d/, { timeout: 10_000 });
  const type = async (id: string, text: string) => {
    await tabTo(page, byId(id), `#${id}`);
    await page.keyboard.type(text);
  };
  const nextStep = async (n: number) => {
    await tabTo(page, byName('Étape suivante'), 'Étape suivante');
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(new RegExp(`/etape/${n}$`));
    await hydrated(page);
  };

  await tabTo(page, byName('Nouvelle demande'), 'Nouvelle demande');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/demandes\/nouvelle$/);
  await hydrated(page);
  await tabTo(page, byName('Demande libre'), 'Demande libre');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/demandes\/\d+\/etape\/1$/);
  await hydrated(page);

  // 1. The SIRET, then the search button, with Enter.
  await type('champ-organisation-siret', '213 401 722 01787');
  await tabTo(page, byName('Rechercher l’organisation'), 'Rechercher l’organisation');
  await page.keyboard.press('Enter');
  await expect(page.getByLabel('Nom de l’organisation')).toHaveValue('Montpellier');
  await saved();
  await nextStep(2);

  // 2. Context.
  await type('champ-context-title', 'Aides régionales au clavier');
  await type('champ-context-description', 'Pré-remplir les formulaires à partir du SIRET.');
  await type('champ-context-end_users', 'Entreprises demandant une aide');
  await type('champ-context-expected_volume', '2 000');
  await tabTo(page, byId('champ-context-go_live'), 'la date');
  // Chromium orders the date's parts by its own locale (jj/mm/aaaa or
  // mm/jj/aaaa): a date whose day and month are the same reads alike.
  await page.keyboard.type('03032027');
  await expect(page.locator('#champ-context-go_live')).toHaveValue('2027-03-03');
  await saved();
  await nextStep(3);

  // 3. Data: the open data scopes are ticked already.
  await saved().catch(() => undefined);
  await nextStep(4);

  // 4. Legal framework.
  await type('champ-legal-basis', 'Code des relations entre le public et l’administration, art. L113-12');
  await type('champ-legal-urls', 'https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000031367364');
  await type('champ-legal-recipients', 'Agents instructeurs des aides');
  await type('champ-legal-retention_months', '24');
  await saved();
  await nextStep(5);

  // 5. The four contacts.
  for (const who of ['dpo', 'controller', 'business', 'technical']) {
    await type(`champ-contacts-${who}-given_name`, 'Camille');
    await type(`champ-contacts-${who}-family_name`, `Martin-${who}`);
    await type(`champ-contacts-${who}-email`, `${who}.${stamp}@occitanie.fr`);
    await type(`champ-contacts-${who}-phone`, '05 61 33 50 50');
    await type(`champ-contacts-${who}-job_title`, 'Chargée de mission');
  }
  await saved();
  await nextStep(6);

  // 6. The terms with Space, the submission with Enter.
  await tabTo(page, byId('cgu'), 'la case des conditions');
  await page.keyboard.press('Space');
  await expect(page.locator('#cgu')).toBeChecked();
  await saved();
  await tabTo(page, byName('Déposer la demande'), 'Déposer la demande');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/demandes\/\d+$/);
  await expect(page.getByText('En cours d’instruction').first()).toBeVisible();
  console.check();
});
