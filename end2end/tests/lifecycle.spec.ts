import { execFileSync } from 'child_process';
import * as path from 'path';
import { test, expect, type Page } from '@playwright/test';
import { acceptAs, apiSignIn, example, expectNoAxeViolations, hydrated, instructorIn, nextStep, readMails, requestOf, saved, signUpAndIn, waitForMailLink, watchConsole } from './helpers';

const base = `http://127.0.0.1:${process.env.E2E_PORT ?? 3107}`;
const params = 'context=Aides&object=Dossier%2042&recipient=20005379100014';
const password = 'cheval agrafe batterie correcte';

const insee = `/v4/insee/sirene/unites_legales/418166096?${params}`;
const attestation = `/v4/dgfip/unites_legales/418166096/attestation_fiscale?${params}`;

/** The status of a call to the API with `token`, and its error code. */
async function callWith(page: Page, token: string, path = insee): Promise<[number, string | undefined]> {
  const res = await page.request.get(`${base}${path}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const body = await res.json();
  return [res.status(), body.errors?.[0]?.code];
}

/** Ends the grace of every replaced string now, as 24 hours passing would
 * (Python's sqlite3 on the server's file). */
function endGraces(): void {
  const script = [
    'import sqlite3, sys, time',
    'db = sqlite3.connect(sys.argv[1], timeout=10)',
    'db.execute("UPDATE token_strings SET retired_at = ? WHERE retired_at IS NOT NULL", (int(time.time() * 1000) - 1,))',
    'db.commit()',
  ].join('\n');
  execFileSync('python3', ['-c', script, path.join(__dirname, '..', '.data', 'guichet.db')]);
}

test('l’habilitation « pré-qualification » reçoit une donnée sensible par une mise à jour sans coupure, passe à un collègue, puis son jeton divulgué est remplacé : l’ancien répond pendant 24 heures, puis seul le nouveau', async ({ browser }) => {
  test.setTimeout(120_000);
  const stamp = Date.now();
  const applicantContext = await browser.newContext({ locale: 'fr-FR' });
  const applicant = await applicantContext.newPage();
  // The transfer to another domain is refused with a 422, on purpose.
  const console = watchConsole(applicant, [/status of 422/]);
  const email = `demandeur.${stamp}@occitanie.fr`;
  await signUpAndIn(applicant, email, password);
  const id = await requestOf(applicant, { ...example, context: { ...example.context, title: 'Pré-qualification des aides' } }, true);

  const instructorContext = await browser.newContext({ locale: 'fr-FR' });
  const instructor = await instructorIn(instructorContext, `instructeur.${stamp}@beta.gouv.fr`);
  await acceptAs(instructor, id, ['unites_legales_etablissements_insee']);
  let res;

  // The string deployed so far answers.
  await applicant.goto('/espace');
  await hydrated(applicant);
  let card = applicant.getByTestId(`jeton-${id}`);
  await card.getByRole('button', { name: 'Afficher le jeton' }).click();
  const old = await card.getByTestId('jeton').inputValue();
  expect(await callWith(applicant, old)).toEqual([200, undefined]);
  expect(await callWith(applicant, old, attestation)).toEqual([403, '00100']);

  // An update: one more sensitive data, through the wizard.
  await applicant.goto(`/demandes/${id}`);
  await hydrated(applicant);
  await expect(applicant.getByTestId('demander-mise-a-jour')).toBeVisible();
  await applicant.screenshot({ path: 'test-results/mise-a-jour-proposee.png', fullPage: true });
  await applicant.getByRole('button', { name: 'Demander une mise à jour' }).click();
  await expect(applicant).toHaveURL(/\/demandes\/\d+\/etape\/2$/);
  const update = Number(applicant.url().match(/demandes\/(\d+)\//)?.[1]);
  expect(update).toBeGreaterThan(id);
  await hydrated(applicant);
  await expect(applicant.getByLabel('Intitulé de la demande')).toHaveValue('Pré-qualification des aides');
  await nextStep(applicant, 3);
  await applicant.locator('label[for="scope-attestation_fiscale_dgfip"]').click();
  await expect(applicant.locator('#scope-attestation_fiscale_dgfip')).toBeChecked();
  await applicant.locator('#justification-attestation_fiscale_dgfip').fill('Vérifier la régularité fiscale avant de verser une aide.');
  await saved(applicant);
  await applicant.goto(`/demandes/${update}/etape/6`);
  await hydrated(applicant);
  await applicant.locator('label[for="cgu"]').click({ position: { x: 5, y: 5 } });
  await expect(applicant.locator('#cgu')).toBeChecked();
  await saved(applicant);
  await applicant.getByRole('button', { name: 'Déposer la demande' }).click();
  await expect(applicant).toHaveURL(new RegExp(`/demandes/${update}$`));
  await expect(applicant.getByTestId('mise-a-jour')).toContainText(`Mise à jour de votre habilitation n° ${id}`);
  // While it is instructed, the token answers as before.
  expect(await callWith(applicant, old)).toEqual([200, undefined]);

  // The instructor's dashboard shows it as an update, live.
  await instructor.goto('/instruction?nature=mise_a_jour');
  await hydrated(instructor);
  const line = instructor.getByTestId(`demande-${update}`);
  await expect(line).toContainText(`Mise à jour de n° ${id}`);
  await expect(instructor.getByTestId(`demande-${id}`)).toHaveCount(0);
  await instructor.screenshot({ path: 'test-results/mise-a-jour-tableau.png', fullPage: true });
  await line.getByRole('link', { name: `n° ${update}` }).click();
  await hydrated(instructor);
  await expect(instructor.getByTestId('mise-a-jour')).toContainText(`Mise à jour de l’habilitation n° ${id}`);
  await expect(instructor.getByRole('heading', { name: 'Changements par rapport à l’habilitation en vigueur' })).toBeVisible();
  await expect(instructor.getByText(/Le champ « Données demandées » est passé de/)).toBeVisible();
  await instructor.screenshot({ path: 'test-results/mise-a-jour-instruction.png', fullPage: true });
  await instructor.getByRole('button', { name: 'Valider' }).click();
  const acceptUpdate = instructor.getByRole('dialog', { name: 'Valider la demande' });
  await acceptUpdate.getByRole('button', { name: 'Confirmer la validation' }).click();
  await expect(acceptUpdate).toBeHidden();
  // The same string now opens the new data.
  await expect.poll(async () => (await callWith(applicant, old, attestation))[1]).not.toBe('00100');
  expect(await callWith(applicant, old)).toEqual([200, undefined]);
  // Handed to a colleague, who accepts by email; the token keeps answering.
  const colleagueEmail = `collegue.${stamp}@occitanie.fr`;
  await applicant.goto(`/demandes/${id}`);
  await hydrated(applicant);
  const transfer = applicant.getByTestId('transfert');
  await transfer.getByLabel(/Adresse électronique de la personne/).fill('quelquun@ailleurs.fr');
  await transfer.getByRole('button', { name: 'Proposer le transfert' }).click();
  await expect(transfer.getByText(/doit se terminer par @occitanie\.fr/)).toBeVisible();
  await applicant.screenshot({ path: 'test-results/transfert-erreur.png', fullPage: true });
  await transfer.getByLabel(/Adresse électronique de la personne/).fill(colleagueEmail);
  await transfer.getByRole('button', { name: 'Proposer le transfert' }).click();
  await expect(transfer.getByRole('heading', { name: 'Transfert proposé' })).toBeVisible();
  await applicant.screenshot({ path: 'test-results/transfert-propose.png', fullPage: true });
  const transferLink = await waitForMailLink(colleagueEmail, 'vous la transfère');
  const colleagueContext = await browser.newContext({ locale: 'fr-FR', permissions: ['clipboard-read', 'clipboard-write'] });
  const holder = await colleagueContext.newPage();
  const holderConsole = watchConsole(holder);
  await holder.goto(transferLink);
  await hydrated(holder);
  await expectNoAxeViolations(holder);
  await holder.getByRole('button', { name: 'Accepter le transfert' }).click();
  await expect(holder.getByRole('heading', { name: 'Demande transférée' })).toBeVisible();
  await holder.screenshot({ path: 'test-results/transfert-accepte.png', fullPage: true });
  await holder.getByRole('link', { name: 'Choisir mon mot de passe' }).click();
  await hydrated(holder);
  await holder.locator('input[name="password"]').fill(password);
  await holder.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
  await expect(holder.getByRole('heading', { name: 'Mot de passe enregistré' })).toBeVisible();
  res = await holder.request.post(`${base}/api/auth/login`, {
    form: { email: colleagueEmail, password },
    headers: { Origin: base, Accept: 'application/json' },
  });
  expect(res.status()).toBe(200);
  expect(await callWith(holder, old)).toEqual([200, undefined]);
  await holder.goto('/espace');
  await hydrated(holder);
  card = holder.getByTestId(`jeton-${id}`);
  await expect(card).toContainText('Attestation fiscale');
  await expect(card.getByTestId('personnes')).toContainText(colleagueEmail);
  await expect(card.getByTestId('usage-sensible')).toContainText('Attestation fiscale - DGFIP —');

  // "Remplacer le jeton": the grace to choose, 24 hours by default.
  await card.getByRole('button', { name: 'Remplacer le jeton' }).click();
  const day = card.getByLabel('24 heures');
  await expect(day).toBeChecked();
  await expect(card.getByLabel('Aucun délai : l’ancien jeton est refusé immédiatement')).not.toBeChecked();
  await expect(card.getByLabel('30 jours')).toBeVisible();
  await expectNoAxeViolations(holder);
  await holder.screenshot({ path: 'test-results/rotation-choix.png', fullPage: true });
  await card.getByRole('button', { name: 'Confirmer le remplacement' }).click();
  const notice = holder.getByRole('status').filter({ hasText: 'Jeton remplacé' });
  await expect(notice).toContainText(/L’ancien reste accepté jusqu’au \d+(er)? \S+ \d{4} à \d+ h \d\d/);

  // Both strings listed with their end; the new one shown.
  const strings = holder.getByTestId(`jeton-${id}`).getByTestId('chaines');
  await expect(strings).toContainText('Deux jetons sont acceptés');
  await expect(strings).toContainText(/Ancien jeton \(…[\w-]{8}\) : accepté jusqu’au/);
  await expect(strings).toContainText(/Nouveau jeton \(…[\w-]{8}\), créé le/);
  const fresh = holder.getByTestId(`jeton-${id}`);
  await fresh.getByRole('button', { name: 'Afficher le jeton' }).click();
  const now = await fresh.getByTestId('jeton').inputValue();
  expect(now).not.toBe(old);
  await expectNoAxeViolations(holder);
  await holder.screenshot({ path: 'test-results/rotation-grace.png', fullPage: true });

  // Old and new both answer during the grace.
  expect(await callWith(holder, old)).toEqual([200, undefined]);
  expect(await callWith(holder, now)).toEqual([200, undefined]);

  // The people of the token are told by email.
  const subject = `Demande n° ${id} : votre jeton API Entreprise a été remplacé`;
  await expect.poll(() => readMails().filter((m) => m.subject.includes(subject)).length, { timeout: 15_000 }).toBe(2);
  const mails = readMails().filter((m) => m.subject.includes(subject));
  expect(mails.map((m) => m.to).join(' ')).toContain(colleagueEmail);
  expect(mails.map((m) => m.to).join(' ')).toContain('technique@occitanie.fr');
  expect(mails[0].text).toContain('reste accepté jusqu’au');

  // 24 hours later: only the new string answers.
  endGraces();
  await holder.waitForTimeout(1_500);
  expect(await callWith(holder, old)).toEqual([401, '00105']);
  expect(await callWith(holder, now)).toEqual([200, undefined]);
  await holder.reload();
  await hydrated(holder);
  await expect(holder.getByTestId(`jeton-${id}`).getByTestId('chaines')).toHaveCount(0);

  // The instructor sees the token and the rotation, and can force one.
  await instructor.goto(`/instruction/demandes/${id}`);
  await hydrated(instructor);
  const section = instructor.getByTestId('jeton-instruction');
  await expect(section).toContainText('Données accordées');
  await expect(instructor.getByRole('listitem').filter({ hasText: 'Jeton remplacé' })).toContainText(colleagueEmail);
  await expect(instructor.getByRole('listitem').filter({ hasText: 'Demande transférée' })).toContainText(colleagueEmail);
  await section.getByRole('button', { name: 'Forcer le remplacement du jeton' }).click();
  await section.locator('label[for^="delai-aucun-"]').click();
  await expect(section.getByLabel(/^Aucun délai/)).toBeChecked();
  await instructor.screenshot({ path: 'test-results/rotation-instruction.png', fullPage: true });
  await section.getByRole('button', { name: 'Confirmer le remplacement' }).click();
  await expect(instructor.getByRole('listitem').filter({ hasText: 'Jeton remplacé' })).toHaveCount(2);
  expect(await callWith(holder, now)).toEqual([401, '00105']);
  console.check();
  holderConsole.check();
  await colleagueContext.close();
  await applicantContext.close();
  await instructorContext.close();
});

/** Ages a token as 100 days of life and a near expiry would: it expires in
 * 20 days, the Attestation fiscale was never called since its grant 100 days
 * ago, the INSEE data was called yesterday (Python's sqlite3 on the
 * server's file). */
function ageToken(requestId: number): void {
  const script = [
    'import sqlite3, sys, time',
    'db = sqlite3.connect(sys.argv[1], timeout=10)',
    'now = int(time.time() * 1000); day = 86400000',
    '(token,) = db.execute("SELECT id FROM tokens WHERE request_id = ?", (int(sys.argv[2]),)).fetchone()',
    'db.execute("UPDATE tokens SET issued_at = ?, expires_at = ? WHERE id = ?", (now - 100 * day, now + 20 * day, token))',
    'for scope, last in (("attestation_fiscale_dgfip", None), ("unites_legales_etablissements_insee", now - day)):',
    '    db.execute("INSERT INTO token_scope_usage (token_id, scope, granted_at, last_used_at) VALUES (?, ?, ?, ?) ON CONFLICT (token_id, scope) DO UPDATE SET granted_at = excluded.granted_at, last_used_at = excluded.last_used_at", (token, scope, now - 100 * day, last))',
    'db.commit()',
  ].join('\n');
  execFileSync('python3', ['-c', script, path.join(__dirname, '..', '.data', 'guichet.db'), String(requestId)]);
}

test('dans ses 90 derniers jours, le demandeur vérifie l’objet, les contacts et les données avant de prolonger ; la donnée sensible inutilisée est retirée, le renouvellement apparaît en direct aux instructeurs', async ({ browser }) => {
  test.setTimeout(120_000);
  const stamp = Date.now();
  const applicantContext = await browser.newContext({ locale: 'fr-FR' });
  const applicant = await applicantContext.newPage();
  // Confirming nothing is refused with a 422, on purpose.
  const console = watchConsole(applicant, [/status of 422/]);
  const email = `demandeur.n${stamp}@occitanie.fr`;
  await signUpAndIn(applicant, email, password);
  const data = {
    ...example,
    context: { ...example.context, title: 'Aides à l’export' },
    data: {
      scopes: ['unites_legales_etablissements_insee', 'attestation_fiscale_dgfip'],
      justifications: {
        ...example.data.justifications,
        attestation_fiscale_dgfip: 'Vérifier la régularité fiscale avant de verser une aide.',
      },
    },
  };
  const id = await requestOf(applicant, data, true);
  const instructorContext = await browser.newContext({ locale: 'fr-FR' });
  const instructor = await instructorIn(instructorContext, `instructeur.n${stamp}@beta.gouv.fr`);
  await acceptAs(instructor, id, data.data.scopes);
  ageToken(id);

  // The instructors watch the renewals, live.
  await instructor.goto('/instruction?nature=renouvellement&etat=accepted');
  await hydrated(instructor);
  await expect(instructor.getByText('Mise à jour en direct')).toBeVisible();

  // The space offers the check, not a one-click extension.
  await applicant.goto('/espace');
  await hydrated(applicant);
  const card = applicant.getByTestId(`jeton-${id}`);
  await expect(card.getByRole('button', { name: /Prolonger/ })).toHaveCount(0);
  await card.getByRole('button', { name: 'Afficher le jeton' }).click();
  const token = await card.getByTestId('jeton').inputValue();
  expect(await callWith(applicant, token, attestation)).not.toEqual([403, '00100']);
  await card.getByRole('link', { name: 'Vérifier et prolonger de 18 mois' }).click();
  await expect(applicant).toHaveURL(/\/espace\/renouveler\//);
  await hydrated(applicant);
  await expect(applicant.getByRole('heading', { level: 1 })).toHaveText(`Renouveler l’habilitation n° ${id}`);
  await expect(applicant.getByText('Aides à l’export').first()).toBeVisible();
  await expect(applicant.getByRole('cell', { name: 'technique@occitanie.fr' })).toBeVisible();
  // The sensitive data unused for 90 days is ticked for removal; the other not.
  await expect(applicant.locator('#retirer-attestation_fiscale_dgfip')).toBeChecked();
  await expect(applicant.locator('#retirer-unites_legales_etablissements_insee')).not.toBeChecked();
  await expect(applicant.getByText('Non utilisée depuis 90 jours')).toBeVisible();
  await expect(applicant.getByTestId('quelque-chose-a-change')).toContainText('Demander une mise à jour');
  await expectNoAxeViolations(applicant);
  await applicant.screenshot({ path: 'test-results/renouvellement-verification.png', fullPage: true });

  // Nothing confirmed: a French error on the first point, nothing extended.
  const confirm = applicant.getByRole('button', { name: /^Confirmer et prolonger jusqu’au \d+(er)? \S+ \d{4}$/ });
  await confirm.click();
  await expect(applicant.getByText('Confirmez que l’objet de l’habilitation n’a pas changé')).toBeVisible();
  await expect(applicant.getByRole('alert')).toContainText('corrigez le champ signalé');
  await applicant.screenshot({ path: 'test-results/renouvellement-erreur.png', fullPage: true });

  for (const box of ['check-purpose', 'check-contacts', 'check-data']) {
    await applicant.locator(`label[for="${box}"]`).click();
    await expect(applicant.locator(`#${box}`)).toBeChecked();
  }
  await confirm.click();
  const done = applicant.getByRole('status').filter({ hasText: 'Habilitation renouvelée' });
  await expect(done).toContainText(/valable jusqu’au \d+(er)? \S+ \d{4}/);
  await expectNoAxeViolations(applicant);
  await applicant.screenshot({ path: 'test-results/renouvellement-fait.png', fullPage: true });
  // The same string: the INSEE data answer, the removed one is refused.
  await expect.poll(async () => (await callWith(applicant, token, attestation))[1]).toBe('00100');
  expect(await callWith(applicant, token)).toEqual([200, undefined]);

  // The dashboard showed it without a reload, as a renewal.
  await expect(instructor.getByTestId('notice')).toContainText(/Nouveau renouvellement n° \d+/);
  const line = instructor.locator('tr', { hasText: `Renouvellement de n° ${id}` });
  await expect(line).toBeVisible();
  await instructor.screenshot({ path: 'test-results/renouvellement-tableau.png', fullPage: true });
  await line.getByRole('link').first().click();
  await hydrated(instructor);
  await expect(instructor.getByTestId('renouvellement')).toContainText(`Renouvellement de l’habilitation n° ${id}`);
  await expect(instructor.getByRole('listitem').filter({ hasText: 'Habilitation renouvelée' })).toContainText('données retirées : Attestation fiscale');
  await expect(instructor.getByRole('button', { name: 'Révoquer l’accès' })).toHaveCount(0);
  await instructor.screenshot({ path: 'test-results/renouvellement-instruction.png', fullPage: true });

  // Both people of the token are told.
  const subject = `Demande n° ${id} : habilitation API Entreprise prolongée`;
  await expect.poll(() => readMails().filter((m) => m.subject.includes(subject)).length, { timeout: 15_000 }).toBe(2);
  const mails = readMails().filter((m) => m.subject.includes(subject));
  expect(mails.map((m) => m.to).join(' ')).toContain(email);
  expect(mails.map((m) => m.to).join(' ')).toContain('technique@occitanie.fr');
  console.check();
  await applicantContext.close();
  await instructorContext.close();
});

test('un rapporteur consulte le tableau de bord et les demandes sans rien décider', async ({ browser }) => {
  test.setTimeout(90_000);
  const stamp = Date.now();
  const applicantContext = await browser.newContext({ locale: 'fr-FR' });
  const applicant = await applicantContext.newPage();
  await signUpAndIn(applicant, `demandeur.r${stamp}@occitanie.fr`, password);
  const id = await requestOf(applicant, example, true);

  // An administrator invites the rapporteur from the accounts page.
  const adminContext = await browser.newContext({ locale: 'fr-FR' });
  const admin = await instructorIn(adminContext, `admin.r${stamp}@beta.gouv.fr`, password, 'create-admin');
  const reporter = `rapporteur.${stamp}@beta.gouv.fr`;
  await admin.goto('/admin/comptes');
  await hydrated(admin);
  await admin.getByLabel('Adresse électronique').fill(reporter);
  await admin.locator('label[for="role-rapporteur"]').click();
  await admin.getByRole('button', { name: 'Envoyer l’invitation' }).click();
  await expect(admin.getByRole('heading', { name: 'Invitation envoyée' })).toBeVisible();
  const link = await waitForMailLink(reporter, 'Votre accès à Guichet');

  const reporterContext = await browser.newContext({ locale: 'fr-FR' });
  const page = await reporterContext.newPage();
  const console = watchConsole(page);
  const token = new URL(link).searchParams.get('jeton') as string;
  const headers = { Origin: base, Accept: 'application/json' };
  res(await page.request.post(`${base}/api/auth/choose_password`, { form: { token, password }, headers }));
  await apiSignIn(page, reporter, password);
  await page.goto('/instruction');
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await page.goto(`/instruction/demandes/${id}`);
  await hydrated(page);
  await expect(page.getByText('Lecture seule (rapporteur)')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Valider' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Je m’en occupe' })).toHaveCount(0);
  await expect(page.getByLabel('Votre message')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Contenu de la demande' })).toBeVisible();
  await expectNoAxeViolations(page);
  await page.screenshot({ path: 'test-results/rapporteur-demande.png', fullPage: true });
  console.check();
  await applicantContext.close();
  await adminContext.close();
  await reporterContext.close();
});

function res(r: { status(): number }): void {
  expect(r.status()).toBe(200);
}
