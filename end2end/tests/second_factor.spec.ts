import { test, expect } from '@playwright/test';
import { appCode, expectNoAxeViolations, hydrated, rememberAppSecret, runGuichet, watchConsole } from './helpers';

// An instructor's first sign-in sets up an authenticator app (the QR code's
// key read off the page, codes computed here as a phone computes them),
// keeps the recovery codes, and signs in again with a code.
test('an instructor sets up the authenticator app and signs in with its code', async ({ browser }) => {
  test.setTimeout(90_000);
  const email = `instructeur.totp.${Date.now()}@beta.gouv.fr`;
  const password = 'cheval agrafe batterie correcte';
  const out = runGuichet(['admin', 'create-instructor', '--email', email]);
  const link = out.match(/https?:\/\/\S+jeton=[A-Za-z0-9_-]+/)?.[0] as string;
  const context = await browser.newContext({ locale: 'fr-FR' });
  const page = await context.newPage();
  // The wrong code's answer (422) is logged by the browser.
  const console = watchConsole(page, [/status of 422/]);
  await page.goto(new URL(link).pathname + new URL(link).search);
  await hydrated(page);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
  await expect(page.getByRole('heading', { name: 'Mot de passe enregistré' })).toBeVisible();

  // Password: then the app's setup.
  await page.goto('/connexion');
  await hydrated(page);
  await page.getByLabel('Adresse électronique').fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole('main').getByRole('button', { name: 'Se connecter' }).click();
  await expect(page).toHaveURL(/\/connexion\/double-authentification/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Configurer la double authentification' })).toBeVisible();
  await expect(page.getByTestId('qr').locator('svg')).toBeVisible();
  await expectNoAxeViolations(page);
  await page.screenshot({ path: 'test-results/double-authentification-configuration.png', fullPage: true });
  // Nothing else is open before the code.
  const signedOut = await page.request.post('/api/auth/whoami', { headers: { Origin: new URL(page.url()).origin, Accept: 'application/json' } });
  expect(await signedOut.json()).toBeNull();

  rememberAppSecret(email, (await page.getByTestId('cle-totp').textContent()) as string);
  await page.getByLabel('Code de l’application').fill('000000' === appCode(email) ? '111111' : '000000');
  await page.getByRole('button', { name: 'Activer la double authentification' }).click();
  await expect(page.getByText(/Ce code n’est pas le bon/)).toBeVisible();
  await page.screenshot({ path: 'test-results/double-authentification-erreur.png', fullPage: true });
  await page.getByLabel('Code de l’application').fill(appCode(email));
  await page.getByRole('button', { name: 'Activer la double authentification' }).click();
  await expect(page.getByRole('heading', { name: 'Vos codes de secours' })).toBeVisible();
  await expect(page.getByTestId('codes-secours').locator('li')).toHaveCount(10);
  await expectNoAxeViolations(page);
  await page.screenshot({ path: 'test-results/double-authentification-codes.png', fullPage: true });
  await page.getByRole('link', { name: 'J’ai conservé mes codes, continuer' }).click();
  await expect(page).toHaveURL(/\/instruction$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Demandes à instruire' })).toBeVisible();

  // Signed out, then in again: the code page.
  await page.getByRole('banner').getByRole('button', { name: 'Se déconnecter' }).click();
  await expect(page.getByRole('banner').getByRole('link', { name: 'Se connecter' })).toBeVisible();
  await page.goto('/connexion');
  await hydrated(page);
  await page.getByLabel('Adresse électronique').fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole('main').getByRole('button', { name: 'Se connecter' }).click();
  await expect(page).toHaveURL(/\/connexion\/code/);
  await hydrated(page);
  await expectNoAxeViolations(page);
  await page.screenshot({ path: 'test-results/double-authentification-code.png', fullPage: true });
  // The code used at setup cannot serve again; the next one does.
  await page.getByLabel('Code de l’application').fill(appCode(email, 1));
  await page.getByRole('button', { name: 'Valider' }).click();
  await expect(page).toHaveURL(/\/instruction$/);
  console.check();
  await context.close();
});
