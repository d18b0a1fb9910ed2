import { test, expect } from '@playwright/test';
import { expectNoAxeViolations, hydrated, newFreeRequest, watchConsole } from './helpers';

// An agent signs in with ProConnect in a real browser, through the real
// OpenID Connect provider the test configuration starts: the account is
// created, step 1 of a new request holds the agent's organisation, and
// signing out also signs out at the provider.
test('an agent signs in with ProConnect, finds their organisation in step 1 and signs out', async ({ page }) => {
  test.setTimeout(90_000);
  const console = watchConsole(page);
  await page.goto('/connexion');
  await hydrated(page);
  const button = page.getByRole('link', { name: 'S’identifier avec ProConnect' });
  await expect(button).toBeVisible();
  await expectNoAxeViolations(page);
  await page.screenshot({ path: 'test-results/connexion-proconnect.png', fullPage: true });
  await button.click();
  // The provider's screen.
  await expect(page.getByRole('heading', { name: 'Fournisseur d’identité de test' })).toBeVisible();
  await page.getByLabel('Identifiant').fill('agent.occitanie');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page).toHaveURL(/\/demandes$/);
  await hydrated(page);
  await expect(page.getByRole('banner').getByRole('button', { name: 'Se déconnecter' })).toBeVisible();
  await page.goto('/mon-compte');
  await expect(page.getByText('Connecté avec l’adresse agent.proconnect@occitanie.fr')).toBeVisible();
  await expect(page.getByText('Vous vous connectez avec ProConnect')).toBeVisible();

  await page.goto('/demandes');
  await hydrated(page);
  await newFreeRequest(page);
  await expect(page).toHaveURL(/\/etape\/1/);
  await hydrated(page);
  await expect(page.locator('input[name="siret"], #siret, input[id*="siret"]').first()).toHaveValue(/200\s?053\s?791\s?00014/);
  await page.screenshot({ path: 'test-results/etape-1-proconnect.png', fullPage: true });

  // Signing out goes through the provider's sign-out and back.
  await page.getByRole('banner').getByRole('button', { name: 'Se déconnecter' }).click();
  const yes = page.getByRole('button', { name: 'Oui, me déconnecter' });
  await expect(yes).toBeVisible();
  await yes.click();
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/(\?.*)?$/);
  await hydrated(page);
  await expect(page.getByRole('banner').getByRole('link', { name: 'Se connecter' })).toBeVisible();
  console.check();
});
