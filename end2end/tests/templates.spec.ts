import { test, expect } from '@playwright/test';
import { expectNoAxeViolations, hydrated, instructorIn, signUpAndIn, watchConsole } from './helpers';

const password = 'cheval agrafe batterie correcte';

test('un éditeur envoie son client vers une demande préparée : connexion, retour à la demande, modèle, SIRET et intitulé pré-remplis', async ({ page, context }) => {
  test.setTimeout(120_000);
  const stamp = Date.now();
  const email = `modele.${stamp}@occitanie.fr`;
  await signUpAndIn(page, email, password);
  await context.clearCookies();
  const console = watchConsole(page);

  // The public list and a template's page.
  await page.goto('/modeles');
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Modèles de demande');
  const cards = page.locator('.fr-card');
  expect(await cards.count()).toBeGreaterThanOrEqual(8);
  await expectNoAxeViolations(page);
  await page.getByRole('link', { name: 'Marchés publics' }).click();
  await expect(page).toHaveURL(/\/modeles\/marches-publics$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Marchés publics');
  await expect(page.getByText('Attestation fiscale - DGFIP')).toBeVisible();
  await expect(page.getByRole('link', { name: /LEGITEXT000037701019/ })).toBeVisible();
  await expectNoAxeViolations(page);

  // The vendor's link: signed out, the sign-in comes back to it.
  const address = '/demandes/nouvelle?modele=aides-publiques&siret=200%20053%20791%2000014&intitule=Aides%20%C3%A0%20l%E2%80%99innovation';
  await page.goto(address);
  await expect(page).toHaveURL(/\/connexion\?suite=/);
  await hydrated(page);
  await page.getByLabel('Adresse électronique').fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page).toHaveURL(/\/demandes\/nouvelle\?modele=aides-publiques/);
  await hydrated(page);
  await expect(page.getByText('À partir du modèle « Aides publiques aux entreprises ».')).toBeVisible();
  await expect(page.getByText('Intitulé : Aides à l’innovation')).toBeVisible();
  await expect(page.getByText('SIRET de l’organisation : 200 053 791 00014')).toBeVisible();
  await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Commencer la demande' }).click();
  await expect(page).toHaveURL(/\/demandes\/\d+\/etape\/1$/);
  const id = page.url().match(/demandes\/(\d+)/)?.[1];
  await hydrated(page);

  // Pre-filled: the organisation from the directory, the title from the
  // address, the template's data and legal basis.
  await expect(page.getByLabel('Numéro SIRET de l’organisation')).toHaveValue('200 053 791 00014');
  await expect(page.getByLabel('Nom de l’organisation')).toHaveValue('Région — Occitanie');
  await page.goto(`/demandes/${id}/etape/2`);
  await hydrated(page);
  await expect(page.getByLabel('Intitulé de la demande')).toHaveValue('Aides à l’innovation');
  await expect(page.getByLabel('Description du cas d’usage')).toHaveValue(/aide/);
  await page.goto(`/demandes/${id}/etape/3`);
  await hydrated(page);
  const chiffre = page.locator('.fr-checkbox-group').filter({ hasText: 'Chiffre d’affaires - DGFIP' });
  await expect(chiffre.locator('input[type="checkbox"]')).toBeChecked();
  await page.goto(`/demandes/${id}/etape/4`);
  await hydrated(page);
  await expect(page.getByLabel('Fondement juridique')).toHaveValue(/collectivités territoriales/);

  // An unknown template: said in French, the list offered instead.
  await page.goto('/demandes/nouvelle?modele=inconnu');
  await hydrated(page);
  await expect(page.getByRole('alert')).toContainText('n’existe pas ou n’est plus proposé');
  await expect(page.getByRole('button', { name: 'Demande libre' })).toBeVisible();
  // Templates first, "Demande libre" last.
  const buttons = await page.locator('main button').allInnerTexts();
  expect(buttons[buttons.length - 1]).toBe('Demande libre');
  expect(buttons.filter((b) => b === 'Utiliser ce modèle').length).toBeGreaterThanOrEqual(8);
  const unknown = await page.request.get('/modeles/inconnu');
  expect(unknown.status()).toBe(404);
  console.check();
});

test('un administrateur modifie un modèle, le retire puis le propose à nouveau, et en crée un : chaque version est gardée avec ce qu’elle change', async ({ browser }) => {
  test.setTimeout(120_000);
  const stamp = Date.now();
  const context = await browser.newContext({ locale: 'fr-FR' });
  const admin = await instructorIn(context, `admin.modeles.${stamp}@beta.gouv.fr`, password, 'create-admin');
  const console = watchConsole(admin);

  await admin.goto('/admin/modeles');
  await hydrated(admin);
  await expect(admin.getByRole('heading', { level: 1 })).toHaveText('Modèles de demande');
  await expect(admin.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Modèles de demande' })).toHaveAttribute('aria-current', 'page');
  await expectNoAxeViolations(admin);
  await admin.getByRole('link', { name: 'Détection de la fraude' }).click();
  await expect(admin).toHaveURL(/\/admin\/modeles\/detection-fraude$/);
  await hydrated(admin);
  const version = (await admin.getByText(/Version \d+ —/).first().innerText()).match(/Version (\d+)/)?.[1];
  const next = Number(version) + 1;

  // An edit: a title, a data dropped; a wrong link is refused in French first.
  await admin.getByLabel('Nom du modèle').fill('Lutte contre la fraude');
  // (The DSFR draws the box on the label, which takes the click.)
  await admin.locator('label[for="modele-scope-mandataires_sociaux_infogreffe"]').click();
  await expect(admin.locator('#modele-scope-mandataires_sociaux_infogreffe')).not.toBeChecked();
  const links = admin.getByLabel(/Liens vers les textes/);
  const before = await links.inputValue();
  await links.fill(`${before}\nhttp://pas-en-https.fr`);
  await admin.getByRole('button', { name: 'Enregistrer une nouvelle version' }).click();
  await expect(admin.locator('#modele-legal_urls-erreur')).toContainText('https://');
  await expect(admin.getByRole('alert')).toContainText('corrigez');
  await expectNoAxeViolations(admin);
  await links.fill(`${before}\n`);
  await admin.getByRole('button', { name: 'Enregistrer une nouvelle version' }).click();
  await expect(admin.getByRole('status').filter({ hasText: `Version ${next} enregistrée` })).toBeVisible();
  const history = admin.getByRole('region', { name: 'Historique' });
  await expect(history.getByRole('heading', { level: 3 }).first()).toContainText(`Version ${next}`);
  await expect(history.getByRole('heading', { level: 3 }).first()).toContainText(`admin.modeles.${stamp}@beta.gouv.fr`);
  await expect(history.locator('ins').first()).toHaveText('Lutte contre la fraude');
  await expect(history.getByText('Données retirées')).toContainText('Mandataires sociaux - Infogreffe');
  await expectNoAxeViolations(admin);

  // Applicants see the new version at once.
  const visitor = await browser.newPage();
  await visitor.goto('/modeles/detection-fraude');
  await expect(visitor.getByRole('heading', { level: 1 })).toHaveText('Lutte contre la fraude');
  await expect(visitor.getByText('Mandataires sociaux - Infogreffe')).toHaveCount(0);

  // Withdrawn, then offered again.
  await admin.getByRole('button', { name: 'Retirer le modèle' }).click();
  await expect(admin.getByRole('status').filter({ hasText: 'Modèle retiré' })).toBeVisible();
  await expect(history.getByText('Modèle retiré des demandeurs.')).toBeVisible();
  expect((await visitor.goto('/modeles/detection-fraude'))?.status()).toBe(404);
  await visitor.goto('/modeles');
  await expect(visitor.getByRole('link', { name: 'Lutte contre la fraude' })).toHaveCount(0);
  await admin.getByRole('button', { name: 'Proposer à nouveau' }).click();
  await expect(admin.getByRole('status').filter({ hasText: 'Modèle proposé à nouveau' })).toBeVisible();
  expect((await visitor.goto('/modeles/detection-fraude'))?.status()).toBe(200);

  // A new template: empty, every missing field said; then filled and created.
  await admin.goto('/admin/modeles/nouveau');
  await hydrated(admin);
  await admin.getByRole('button', { name: 'Créer le modèle' }).click();
  await expect(admin.locator('#modele-title-erreur')).toHaveText('Indiquez le nom du modèle.');
  await expect(admin.getByText('Choisissez au moins une donnée.')).toBeVisible();
  const slug = `restauration-scolaire-${stamp}`;
  await admin.locator('#modele-slug').fill(slug);
  await admin.locator('#modele-title').fill('Restauration scolaire');
  await admin.locator('#modele-audience').fill('Communes et caisses des écoles.');
  await admin.locator('#modele-summary').fill('Vérifier les fournisseurs des cantines.');
  await admin.locator('#modele-context_title').fill('Vérification des fournisseurs de la restauration scolaire');
  await admin.locator('#modele-context_description').fill('Contrôler la régularité des fournisseurs.');
  await admin.locator('#modele-legal_basis').fill('Code de la commande publique');
  await admin.locator('label[for="modele-scope-attestation_fiscale_dgfip"]').click();
  await expect(admin.locator('#modele-title-erreur')).toBeHidden();
  await admin.getByRole('button', { name: 'Créer le modèle' }).click();
  await expect(admin).toHaveURL(new RegExp(`/admin/modeles/${slug}\\?enregistre$`));
  await expect(admin.getByRole('status').filter({ hasText: 'Modèle créé' })).toBeVisible();
  await visitor.goto('/modeles');
  await expect(visitor.getByRole('link', { name: 'Restauration scolaire' })).toBeVisible();
  console.check();

  // Leaving with unsaved changes: the browser asks first.
  await admin.locator('#modele-title').fill('Restauration scolaire et périscolaire');
  // The form knows it has unsaved changes before the page is left.
  await expect(admin.getByText('Enregistrez d’abord vos changements')).toBeVisible();
  const asked = admin.waitForEvent('dialog');
  await admin.close({ runBeforeUnload: true });
  const dialog = await asked;
  expect(dialog.type()).toBe('beforeunload');
  await dialog.accept();
  await context.close();
});
