import { test, expect } from '@playwright/test';
import { acceptAs, example, expectNoAxeViolations, hydrated, instructorIn, requestOf, signUpAndIn, watchConsole } from './helpers';

const base = `http://127.0.0.1:${process.env.E2E_PORT ?? 3107}`;
const params = 'context=Aides&object=Dossier%2042&recipient=20005379100014';
const password = 'cheval agrafe batterie correcte';

test('un intégrateur voit le mode bac à sable, lit ses droits sur /privileges, suit l’utilisation de son jeton sur un graphique, et une passerelle vérifie le jeton avec l’accès créé par un administrateur', async ({ browser }) => {
  test.setTimeout(120_000);
  const stamp = Date.now();
  const applicantContext = await browser.newContext({ locale: 'fr-FR' });
  const applicant = await applicantContext.newPage();
  const console = watchConsole(applicant);
  await signUpAndIn(applicant, `integrateur.${stamp}@occitanie.fr`, password);
  const id = await requestOf(applicant, { ...example, context: { ...example.context, title: 'Connecteur du logiciel d’aides' } }, true);
  const instructorContext = await browser.newContext({ locale: 'fr-FR' });
  const instructor = await instructorIn(instructorContext, `instructeur.integ.${stamp}@beta.gouv.fr`);
  await acceptAs(instructor, id, ['unites_legales_etablissements_insee']);
  let res;

  // The space says the instance is a sandbox.
  await applicant.goto('/espace');
  await hydrated(applicant);
  await expect(applicant.getByRole('heading', { name: 'Environnement bac à sable : données fictives' })).toBeVisible();
  await applicant.screenshot({ path: 'test-results/espace-bac-a-sable.png', fullPage: true });
  const card = applicant.getByTestId(`jeton-${id}`);
  await card.getByRole('button', { name: 'Afficher le jeton' }).click();
  const token = await card.getByTestId('jeton').inputValue();
  const bearer = { Authorization: `Bearer ${token}` };

  // Nothing called yet: the usage page says so.
  await card.getByRole('link', { name: 'Voir l’utilisation détaillée' }).click();
  await expect(applicant.getByRole('heading', { level: 1 })).toHaveText('Utilisation du jeton « Connecteur du logiciel d’aides »');
  await expect(applicant.getByText('Aucun appel ces 8 derniers jours.')).toBeVisible();
  await applicant.screenshot({ path: 'test-results/utilisation-vide.png', fullPage: true });

  // /privileges, then calls: data, an unknown company, outside the scopes,
  // a missing parameter.
  res = await applicant.request.get(`${base}/privileges`, { headers: bearer });
  expect(res.status()).toBe(200);
  expect((await res.json()).privileges).toEqual(['unites_legales_etablissements_insee']);
  const calls: [string, number][] = [
    [`/v4/insee/sirene/unites_legales/418166096?${params}`, 200],
    [`/v3/insee/sirene/etablissements/41816609600069/adresse?${params}`, 200],
    [`/v4/insee/sirene/unites_legales/552100554?${params}`, 404],
    [`/v4/dgfip/unites_legales/418166096/attestation_fiscale?${params}`, 403],
    ['/v4/insee/sirene/unites_legales/418166096?context=Aides', 422],
  ];
  for (const [path, status] of calls) {
    res = await applicant.request.get(`${base}${path}`, { headers: bearer });
    expect(res.status(), path).toBe(status);
    expect(res.headers()['x-donnees-fictives']).toBe('true');
  }

  // Counted within seconds (each instance writes every 5 s).
  await expect.poll(async () => {
    await applicant.reload();
    await hydrated(applicant);
    return applicant.getByTestId('fenetres').locator('tbody tr').first().locator('td').first().textContent();
  }, { timeout: 20_000 }).toBe('6');
  const recent = applicant.getByTestId('fenetres').locator('tbody tr').first().locator('td');
  await expect(recent).toHaveText(['6', '3', '1', '2', '0']);
  await expect(applicant.getByTestId('graphique').locator('svg')).toHaveAttribute('aria-label', /6 au total/);
  await expect(applicant.getByRole('table', { name: 'Appels par opération' })).toContainText('Données unité légale');
  await expect(applicant.getByRole('table', { name: 'Réponses sans données, par code' })).toContainText('données hors des droits du jeton');
  await applicant.screenshot({ path: 'test-results/utilisation-graphique.png', fullPage: true });
  await expectNoAxeViolations(applicant);
  console.check();

  // An administrator creates a gateway's access; the gateway introspects the
  // token with it.
  const adminContext = await browser.newContext({ locale: 'fr-FR' });
  const admin = await instructorIn(adminContext, `admin.integ.${stamp}@beta.gouv.fr`, password, 'create-admin');
  const adminConsole = watchConsole(admin, [/status of 422/]);
  await admin.goto('/admin/passerelles');
  await hydrated(admin);
  // A name of spaces passes the browser's `required`, not the server.
  await admin.getByLabel('Nom de la passerelle').fill('   ');
  await admin.getByRole('button', { name: 'Créer l’accès' }).click();
  await expect(admin.getByText('Indiquez le nom de la passerelle').first()).toBeVisible();
  await admin.screenshot({ path: 'test-results/passerelles-erreur.png', fullPage: true });
  await admin.getByLabel('Nom de la passerelle').fill('Passerelle de la région');
  await admin.getByRole('button', { name: 'Créer l’accès' }).click();
  await expect(admin.getByRole('heading', { name: 'Accès créé' })).toBeVisible();
  const clientId = (await admin.getByTestId('identifiant').textContent()) as string;
  const secret = (await admin.getByTestId('secret').textContent()) as string;
  await expect(admin.getByRole('table')).toContainText('Passerelle de la région');
  await admin.screenshot({ path: 'test-results/passerelles-cree.png', fullPage: true });
  await expectNoAxeViolations(admin);
  const basic = `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
  res = await admin.request.post(`${base}/oauth/introspect`, {
    headers: { Authorization: basic },
    form: { token },
  });
  expect(res.status()).toBe(200);
  const info = await res.json();
  expect(info.active).toBe(true);
  expect(info.scope).toBe('unites_legales_etablissements_insee');
  adminConsole.check();
  await applicantContext.close();
  await instructorContext.close();
  await adminContext.close();
});
