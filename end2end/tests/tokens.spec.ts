import { test, expect } from '@playwright/test';
import { example, expectNoAxeViolations, hydrated, instructorIn, readMails, signUpAndIn, waitForMailLink, watchConsole } from './helpers';

const password = 'cheval agrafe batterie correcte';
const base = `http://127.0.0.1:${process.env.E2E_PORT ?? 3107}`;
const headers = { Origin: base, Accept: 'application/json' };

test('validée, la demande donne un jeton que le contact technique copie et utilise', async ({ browser }) => {
  test.setTimeout(150_000);
  const stamp = Date.now();
  const technical = `technique.${stamp}@occitanie.fr`;
  const applicantContext = await browser.newContext({ locale: 'fr-FR' });
  const applicant = await applicantContext.newPage();
  const email = `demandeur.${stamp}@occitanie.fr`;
  await signUpAndIn(applicant, email, password);
  let res = await applicant.request.post(`${base}/api/requests/create`, { headers });
  const id = Number(await res.text());
  const data = structuredClone(example);
  data.contacts.technical.email = technical;
  data.context.title = `Pré-remplissage ${stamp}`;
  res = await applicant.request.post(`${base}/api/requests/save`, {
    headers,
    data: { id, version: 1, save_id: 'e2e-jeton', data },
  });
  expect(res.status(), await res.text()).toBe(200);
  await applicant.goto(`/demandes/${id}/etape/6`);
  await hydrated(applicant);
  await applicant.getByRole('button', { name: 'Déposer la demande' }).click();
  await expect(applicant).toHaveURL(new RegExp(`/demandes/${id}$`));

  // The instructor accepts.
  const instructorContext = await browser.newContext({ locale: 'fr-FR' });
  const instructor = await instructorIn(instructorContext, `instructeur.${stamp}@beta.gouv.fr`);
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
  await expect(card).toContainText(`Pré-remplissage ${stamp}`);
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
  const params = 'context=Aides&object=Dossier%2042&recipient=13002737600016';
  const bearer = { Authorization: `Bearer ${copied}` };
  res = await tech.request.get(`${base}/v4/insee/sirene/unites_legales/213105554?${params}`, { headers: bearer });
  expect(res.status(), await res.text()).toBe(200);
  const body = await res.json();
  expect(body.data.siren).toBe('213105554');
  expect(res.headers()['ratelimit-limit']).toBe('250');
  res = await tech.request.get(`${base}/v4/dgfip/unites_legales/213105554/attestation_fiscale?${params}`, { headers: bearer });
  expect(res.status()).toBe(403);
  expect((await res.json()).errors[0].code).toBe('00100');

  // Revoked by the instructor: refused from the next call.
  await instructor.getByRole('button', { name: 'Révoquer l’accès' }).click();
  const revoke = instructor.getByRole('dialog', { name: 'Révoquer l’accès' });
  await expect(revoke).toBeVisible();
  await revoke.getByLabel(/Motif de la révocation/).fill('Fin du marché.');
  await revoke.getByRole('button', { name: 'Confirmer la révocation' }).click();
  await expect(revoke).toBeHidden();
  res = await tech.request.get(`${base}/v4/insee/sirene/unites_legales/213105554?${params}`, { headers: bearer });
  expect(res.status()).toBe(401);
  expect((await res.json()).errors[0].code).toBe('00105');
  techConsole.check();
  await applicantContext.close();
  await instructorContext.close();
  await techContext.close();
});
