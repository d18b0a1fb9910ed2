import { test, expect, type Page } from '@playwright/test';
import { hydrated, lockDatabase, signUpAndIn, watchConsole, newFreeRequest } from './helpers';

const password = 'cheval agrafe batterie correcte';

/** What the server holds of step 2 (title, description, public), read
 * without the browser's buffer. */
async function expectServerHolds(page: Page, [title, description, public_]: string[]): Promise<void> {
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Intitulé de la demande')).toHaveValue(title);
  await expect(page.getByLabel('Description du cas d’usage')).toHaveValue(description);
  await expect(page.getByLabel('Public concerné (utilisateurs finaux)')).toHaveValue(public_);
}

/** A new applicant's new draft, opened at step 2 (business context). */
async function newDraftAtStep2(page: Page, email: string): Promise<void> {
  await signUpAndIn(page, email, password);
  await page.goto('/demandes');
  await hydrated(page);
  await newFreeRequest(page);
  await expect(page).toHaveURL(/\/demandes\/\d+\/etape\/1$/);
  const id = page.url().match(/demandes\/(\d+)/)?.[1];
  await page.goto(`/demandes/${id}/etape/2`);
  await hydrated(page);
}

test('base de données verrouillée : le brouillon continue dans le navigateur, survit au rechargement et s’enregistre au retour', async ({ page }) => {
  test.setTimeout(120_000);
  const stamp = Date.now();
  await newDraftAtStep2(page, `panne.${stamp}@occitanie.fr`);
  // The saves refused while the database is locked fail on purpose.
  const console = watchConsole(page, [/status of 503 \(Service Unavailable\)/]);
  const status = page.getByTestId('save-status');
  await page.getByLabel('Intitulé de la demande').fill('Avant la panne');
  await expect(status).toHaveText(/Enregistré à/, { timeout: 10_000 });

  // Another process holds the write lock: the server answers 503 after
  // waiting for it; the wizard says so and keeps the typing.
  const lock = await lockDatabase();
  try {
    await page.getByLabel('Description du cas d’usage').fill('Tapé pendant la panne');
    await expect(status).toHaveText(/Enregistrement momentanément impossible — vos saisies sont gardées sur cet appareil/, {
      timeout: 15_000,
    });
    await page.getByLabel('Public concerné (utilisateurs finaux)').fill('Toujours pendant la panne');
    // A reload meanwhile: the page is read from the database (reads go on),
    // the typing comes back from the browser's buffer.
    await page.reload();
    await hydrated(page);
    await expect(page.getByLabel('Description du cas d’usage')).toHaveValue('Tapé pendant la panne');
    await expect(page.getByLabel('Public concerné (utilisateurs finaux)')).toHaveValue('Toujours pendant la panne');
  } finally {
    await lock.release();
  }

  // Back: the buffer is saved without anything typed.
  await expect(status).toHaveText(/Enregistré à/, { timeout: 30_000 });
  await expectServerHolds(page, ['Avant la panne', 'Tapé pendant la panne', 'Toujours pendant la panne']);
  console.check();
});

test('réseau coupé au chargement du code de l’assistant : la page le dit en français et se recharge', async ({ page }) => {
  test.setTimeout(90_000);
  await signUpAndIn(page, `coupure.${Date.now()}@occitanie.fr`, password);
  await page.goto('/demandes');
  await hydrated(page);
  // The wizard's modules (loaded on demand, `--split`) cannot be downloaded.
  let refused = 0;
  await page.route(/\/pkg\/split_/, (route) => {
    refused += 1;
    return route.abort('internetdisconnected');
  });
  await newFreeRequest(page);
  const notice = page.getByRole('alert').filter({ hasText: 'La page ne répond plus' });
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('Ce qui était enregistré est conservé');
  expect(refused).toBeGreaterThan(0);

  // The connection is back: the link reloads the page, which works again.
  await page.unroute(/\/pkg\/split_/);
  await notice.getByRole('link', { name: 'Recharger la page' }).click();
  await hydrated(page);
  await expect(page.getByText('La page ne répond plus')).toHaveCount(0);
  await page.goto('/demandes');
  await hydrated(page);
  // The draft created before the cut opens in the wizard, loaded this time.
  await page.getByRole('link', { name: /^Reprendre/ }).first().click();
  await expect(page).toHaveURL(/\/demandes\/\d+\/etape\/1$/);
  await expect(page.getByTestId('save-status')).toBeAttached();
});

test('réponse d’enregistrement perdue : la saisie suivante et le rechargement passent sans conflit', async ({ page }) => {
  test.setTimeout(90_000);
  await newDraftAtStep2(page, `reponse.${Date.now()}@occitanie.fr`);
  // The answers cut on purpose fail in the console.
  const console = watchConsole(page, [/net::ERR_CONNECTION_RESET/]);
  const status = page.getByTestId('save-status');
  // The next save reaches the server and is written, but its answer never
  // comes back to the browser (connection cut after the server wrote it).
  let lose = 0;
  let lost = 0;
  await page.route('**/api/requests/save', async (route) => {
    if (lose > 0) {
      lose -= 1;
      const written = await route.fetch();
      expect(written.status()).toBe(200);
      lost += 1;
      return route.abort('connectionreset');
    }
    return route.continue();
  });

  // Lost answer, then more typing in the same page: the next save names the
  // lost one and goes over it.
  lose = 1;
  await page.getByLabel('Intitulé de la demande').fill('Réponse perdue');
  await expect(status).toHaveText(/Hors ligne/, { timeout: 10_000 });
  expect(lost).toBe(1);
  await page.getByLabel('Description du cas d’usage').fill('Tapé après la réponse perdue');
  await expect(status).toHaveText(/Enregistré à/, { timeout: 10_000 });

  // Lost answer, then a reload before any retry: the buffer names the lost
  // save, the page saves over it instead of showing a conflict.
  lose = 1;
  await page.getByLabel('Public concerné (utilisateurs finaux)').fill('Rechargé avant la réponse');
  await expect(status).toHaveText(/Hors ligne/, { timeout: 10_000 });
  expect(lost).toBe(2);
  await page.getByLabel('Public concerné (utilisateurs finaux)').fill('Rechargé sans réponse');
  await page.reload();
  await hydrated(page);
  await expect(status).toHaveText(/Enregistré à/, { timeout: 10_000 });
  await expect(page.getByRole('alert').filter({ hasText: 'modifiée ailleurs' })).toHaveCount(0);

  await expectServerHolds(page, ['Réponse perdue', 'Tapé après la réponse perdue', 'Rechargé sans réponse']);
  console.check();
});
