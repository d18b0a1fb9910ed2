import { test, expect } from '@playwright/test';
import { expectNoAxeViolations, hydrated, signUpAndIn, watchConsole } from './helpers';

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
