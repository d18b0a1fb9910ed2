import { test, expect } from '@playwright/test';
import { example, expectNoAxeViolations, hydrated, instructorIn, readMails, signUpAndIn, watchConsole } from './helpers';

const password = 'cheval agrafe batterie correcte';
const base = `http://127.0.0.1:${process.env.E2E_PORT ?? 3107}`;
const headers = { Origin: base, Accept: 'application/json' };

test('le demandeur dépose, l’instructeur le voit en direct, demande des modifications, puis valide', async ({ browser }) => {
  test.setTimeout(150_000);
  const applicantContext = await browser.newContext({ locale: 'fr-FR' });
  const instructorContext = await browser.newContext({ locale: 'fr-FR' });
  const applicant = await applicantContext.newPage();
  const applicantConsole = watchConsole(applicant);
  const email = `demandeur.${Date.now()}@occitanie.fr`;
  await signUpAndIn(applicant, email, password);
  let res = await applicant.request.post(`${base}/api/requests/create`, { headers });
  const id = Number(await res.text());
  res = await applicant.request.post(`${base}/api/requests/save`, {
    headers,
    data: { id, version: 1, save_id: 'e2e-complet', data: example },
  });
  expect(res.status(), await res.text()).toBe(200);

  // The instructor's dashboard is open before the submission.
  const instructor = await instructorIn(instructorContext, `instructeur.${Date.now()}@beta.gouv.fr`);
  const instructorConsole = watchConsole(instructor);
  await instructor.goto('/instruction');
  await hydrated(instructor);
  await expect(instructor.getByTestId('direct')).toContainText('Mise à jour en direct');
  await expect(instructor.getByTestId(`demande-${id}`)).toHaveCount(0);
  await expectNoAxeViolations(instructor);

  // The applicant submits; the dashboard shows it without a reload.
  await applicant.goto(`/demandes/${id}/etape/6`);
  await hydrated(applicant);
  const submittedAt = Date.now();
  await applicant.getByRole('button', { name: 'Déposer la demande' }).click();
  await expect(applicant).toHaveURL(new RegExp(`/demandes/${id}$`));
  const row = instructor.getByTestId(`demande-${id}`);
  await expect(row).toBeVisible({ timeout: 5_000 });
  console.log(`soumission → tableau de bord : ${Date.now() - submittedAt} ms`);
  await expect(row).toContainText('En cours d’instruction');
  await expect(instructor.getByTestId('notice')).toContainText(`Nouvelle demande n° ${id} déposée.`);

  // The instructor takes it and asks for changes, pointing at the links.
  await row.getByRole('link', { name: `n° ${id}` }).click();
  await expect(instructor).toHaveURL(new RegExp(`/instruction/demandes/${id}$`));
  await hydrated(instructor);
  await expect(instructor.getByRole('heading', { level: 1 })).toHaveText(`Demande n° ${id}`);
  await expect(instructor.getByText('Éligibilité : ')).toBeVisible();
  await expectNoAxeViolations(instructor);
  await instructor.getByRole('button', { name: 'Je m’en occupe' }).click();
  await expect(instructor.getByText('Vous instruisez cette demande.')).toBeVisible();
  await instructor.getByRole('button', { name: 'Demander des modifications' }).click();
  const modal = instructor.getByRole('dialog', { name: 'Demander des modifications' });
  await expect(modal).toBeVisible();
  // Checked once the opening animation is over (axe reads colours mid-fade).
  await expect(modal).toHaveCSS('opacity', '1');
  await expectNoAxeViolations(instructor);
  await modal.getByLabel('Message au demandeur (obligatoire)').fill('Le lien ne mène pas au texte : donnez le lien exact.');
  await modal.getByText('Liens vers les textes', { exact: true }).click();
  await modal.getByRole('button', { name: 'Envoyer la demande de modifications' }).click();
  await expect(modal).toBeHidden();
  await expect(instructor.locator('.fr-badge').filter({ hasText: 'Modifications demandées' }).first()).toBeVisible();

  // Back on the dashboard, live.
  await instructor.goto('/instruction');
  await hydrated(instructor);
  await expect(instructor.getByTestId('direct')).toContainText('Mise à jour en direct');
  await expect(instructor.getByTestId(`demande-${id}`)).toContainText('Modifications demandées');

  // The applicant sees the message and the field, edits, resubmits.
  await applicant.goto(`/demandes/${id}`);
  await hydrated(applicant);
  await expect(applicant.getByText('Le lien ne mène pas au texte : donnez le lien exact.').first()).toBeVisible();
  await applicant.getByRole('link', { name: 'Liens vers les textes (étape 4)' }).click();
  await expect(applicant).toHaveURL(new RegExp(`/demandes/${id}/etape/4$`));
  await hydrated(applicant);
  const links = applicant.getByLabel(/Liens vers les textes/);
  await expect(applicant.locator('label[for="champ-legal-urls"]')).toContainText('À modifier');
  await expectNoAxeViolations(applicant);
  await links.fill('https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000031367365');
  await expect(applicant.getByTestId('save-status')).toHaveText(/Enregistré à \d\d:\d\d/);
  await applicant.goto(`/demandes/${id}/etape/6`);
  await hydrated(applicant);
  await applicant.getByRole('button', { name: 'Déposer la demande' }).click();
  await expect(applicant).toHaveURL(new RegExp(`/demandes/${id}$`));

  // The dashboard updates by itself; the review shows what changed; accept.
  await expect(instructor.getByTestId(`demande-${id}`)).toContainText('En cours d’instruction', { timeout: 5_000 });
  await instructor.getByTestId(`demande-${id}`).getByRole('link', { name: `n° ${id}` }).click();
  await hydrated(instructor);
  await expect(instructor.getByText('Le champ « Liens vers les textes » est passé de')).toBeVisible();
  await instructor.getByRole('button', { name: 'Valider' }).click();
  const accept = instructor.getByRole('dialog', { name: 'Valider la demande' });
  await expect(accept).toBeVisible();
  await accept.getByRole('button', { name: 'Confirmer la validation' }).click();
  await expect(accept).toBeHidden();
  await expect(instructor.locator('.fr-badge').filter({ hasText: 'Validée' }).first()).toBeVisible();
  await expect
    .poll(() => readMails().some((m) => m.to.includes(email) && m.subject.includes(`Demande n° ${id} validée`)), {
      timeout: 15_000,
    })
    .toBe(true);
  instructorConsole.check();
  applicantConsole.check();
  await applicantContext.close();
  await instructorContext.close();
});
