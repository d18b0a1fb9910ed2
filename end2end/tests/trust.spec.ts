import { test, expect, type Page } from '@playwright/test';
import { acceptAs, example, expectNoAxeViolations, hydrated, instructorIn, signUpAndIn, watchConsole } from './helpers';

const password = 'cheval agrafe batterie correcte';
const base = `http://127.0.0.1:${process.env.E2E_PORT ?? 3107}`;
const headers = { Origin: base, Accept: 'application/json' };

/** A request with `data`, saved and submitted by the signed-in `page`; answers its number. */
async function submitted(page: Page, data: unknown): Promise<number> {
  let res = await page.request.post(`${base}/api/requests/create`, { headers });
  const id = Number(await res.text());
  res = await page.request.post(`${base}/api/requests/save`, {
    headers,
    data: { id, version: 1, save_id: `e2e-${id}`, data },
  });
  expect(res.status(), await res.text()).toBe(200);
  res = await page.request.post(`${base}/api/requests/submit`, { headers, form: { id: String(id), version: '2' } });
  expect(res.status(), await res.text()).toBe(200);
  return id;
}

test('un inconnu qui dépose une demande au SIRET d’une organisation ne voit dans son espace que son propre jeton', async ({ browser }) => {
  test.setTimeout(120_000);
  const stamp = Date.now();
  // The Région's own applicant: a sensitive request.
  const aliceContext = await browser.newContext({ locale: 'fr-FR' });
  const alice = await aliceContext.newPage();
  await signUpAndIn(alice, `demandeur.${stamp}@occitanie.fr`, password);
  const aliceId = await submitted(alice, example);

  // A stranger with the Région's SIRET: a harmless open-data request.
  const strangerContext = await browser.newContext({ locale: 'fr-FR' });
  const stranger = await strangerContext.newPage();
  const strangerConsole = watchConsole(stranger);
  const strangerEmail = `inconnu.${stamp}@exemple.fr`;
  await signUpAndIn(stranger, strangerEmail, password);
  const harmless = {
    ...example,
    context: { ...example.context, title: 'Données ouvertes seulement' },
    data: { scopes: ['open_data_unites_legales_etablissements_insee'], justifications: {} },
    contacts: { ...example.contacts, technical: { ...example.contacts.technical, email: strangerEmail } },
  };
  const strangerId = await submitted(stranger, harmless);

  // The instructor reads that the Région is verified in the directory, and accepts both.
  const instructorContext = await browser.newContext({ locale: 'fr-FR' });
  const instructor = await instructorIn(instructorContext, `instructeur.${stamp}@beta.gouv.fr`);
  await instructor.goto(`/instruction/demandes/${strangerId}`);
  await hydrated(instructor);
  await expect(instructor.getByTestId('identite')).toContainText('Vérifié dans l’annuaire');
  await expect(instructor.getByTestId('identite')).toContainText('Région — Occitanie');
  await instructor.screenshot({ path: 'test-results/trust-instruction-identite.png', fullPage: true });
  await acceptAs(instructor, aliceId, ['unites_legales_etablissements_insee']);
  await acceptAs(instructor, strangerId, ['open_data_unites_legales_etablissements_insee']);

  // The stranger's space: their token, nothing of the Région's other one.
  await stranger.goto('/espace');
  await hydrated(stranger);
  await expect(stranger.getByTestId(`jeton-${strangerId}`)).toContainText('Données ouvertes seulement');
  await expect(stranger.getByTestId(`jeton-${aliceId}`)).toHaveCount(0);
  await expect(stranger.locator('[data-testid^="jeton-"]')).toHaveCount(1);
  await expect(stranger.getByTestId(`jeton-${strangerId}`).getByTestId('personnes')).toContainText(strangerEmail);
  await stranger.screenshot({ path: 'test-results/trust-espace-inconnu.png', fullPage: true });
  await expectNoAxeViolations(stranger);
  // Nor can it be reached by its number.
  const overview = await stranger.request.post(`${base}/api/space/overview`, { headers });
  expect(JSON.stringify(await overview.json())).not.toContain(example.context.title);

  // The Région's applicant sees their token and who else sees it.
  await alice.goto('/espace');
  await hydrated(alice);
  const card = alice.getByTestId(`jeton-${aliceId}`);
  await expect(card).toBeVisible();
  await expect(alice.getByTestId(`jeton-${strangerId}`)).toHaveCount(0);
  await expect(card.getByTestId('personnes')).toContainText(`demandeur.${stamp}@occitanie.fr (demandeur de l’accès)`);
  await expect(card.getByTestId('personnes')).toContainText('technique@occitanie.fr (contact technique)');
  await alice.screenshot({ path: 'test-results/trust-espace-demandeur.png', fullPage: true });
  strangerConsole.check();
  await aliceContext.close();
  await strangerContext.close();
  await instructorContext.close();
});
