import { readFileSync } from 'node:fs';
import { test, expect, type Page } from '@playwright/test';
import { expectNoAxeViolations, fromAcceptanceToApiCall, hydrated, readMails, signUpAndIn, watchConsole, newFreeRequest, nextStep, saved } from './helpers';

const password = 'cheval agrafe batterie correcte';

/** A minimal PDF, as a text editor would write it. */
const pdf = '%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n';

test('le demandeur remplit les six étapes, recharge, passe hors ligne, règle un conflit et dépose ; validée, la demande donne un jeton que le contact technique copie et utilise', async ({ page, context, browser }) => {
  test.setTimeout(240_000);
  const stamp = Date.now();
  const email = `demandeur.${stamp}@occitanie.fr`;
  const technical = `technique.${stamp}@occitanie.fr`;
  await signUpAndIn(page, email, password);

  await page.goto('/demandes');
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Mes demandes');
  await expectNoAxeViolations(page);
  await newFreeRequest(page);
  await expect(page).toHaveURL(/\/demandes\/\d+\/etape\/1$/);
  const id = page.url().match(/demandes\/(\d+)/)?.[1];
  await hydrated(page);
  // Offline saves, the conflicting save and the fake PDF fail on purpose.
  const console = watchConsole(page, [
    /ERR_INTERNET_DISCONNECTED/,
    /status of 409 \(Conflict\)/,
    /status of 422 \(Unprocessable (Entity|Content)\)/,
  ]);
  await expect(page.getByText('Étape 1 sur 6')).toBeVisible();
  await expectNoAxeViolations(page);

  // 1. Organisation, found from its SIRET.
  await page.getByLabel('Numéro SIRET de l’organisation').fill('213 401 722 01787');
  await page.getByRole('button', { name: 'Rechercher l’organisation' }).click();
  await expect(page.getByLabel('Nom de l’organisation')).toHaveValue('Montpellier');
  await saved(page);
  await nextStep(page, 2);

  // 2. Context; a reload in the middle keeps what was typed.
  await page.getByLabel('Intitulé de la demande').fill('Pré-remplissage des formulaires d’aides');
  await page.getByLabel('Description du cas d’usage').fill('Pré-remplir les formulaires à partir du SIRET.');
  await saved(page);
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Intitulé de la demande')).toHaveValue('Pré-remplissage des formulaires d’aides');
  await expect(page.getByLabel('Description du cas d’usage')).toHaveValue('Pré-remplir les formulaires à partir du SIRET.');
  await page.getByLabel('Public concerné (utilisateurs finaux)').fill('Entreprises demandant une aide');
  await page.getByLabel('Volumétrie attendue (appels par jour)').fill('2 000');
  await page.getByLabel('Date de mise en service prévue').fill('2027-03-01');
  await expectNoAxeViolations(page);
  await nextStep(page, 3);

  // 3. Data: open data pre-ticked; a sensitive scope asks for a justification.
  const sensitive = page.locator('.fr-checkbox-group').filter({ hasText: 'Sensible' }).first();
  await sensitive.locator('label').click();
  await expect(sensitive.locator('input[type="checkbox"]')).toBeChecked();
  await page.getByLabel('Pourquoi cette donnée sensible est-elle nécessaire ?').fill('Instruire les dossiers d’aide.');
  await saved(page);
  await expectNoAxeViolations(page);
  await nextStep(page, 4);

  // 4. Legal framework.
  await page.getByLabel('Fondement juridique').fill('Code des relations entre le public et l’administration, art. L113-12');
  await page.getByLabel('Liens vers les textes (un par ligne)').fill('https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000031367364');
  await page.getByLabel('Destinataires des données').fill('Agents instructeurs des aides');
  await page.getByLabel('Durée de conservation (en mois)').fill('24');
  await saved(page);
  // The text as a PDF: accepted; a web page renamed .pdf: refused, with why.
  const upload = page.getByLabel('Ajouter des fichiers PDF');
  await upload.setInputFiles({ name: 'Délibération du conseil.pdf', mimeType: 'application/pdf', buffer: Buffer.from(pdf) });
  await expect(page.getByRole('link', { name: /Télécharger Délibération du conseil\.pdf/ })).toBeVisible();
  await expect(page.getByText('1 sur 6 fichiers joints.')).toBeVisible();
  await upload.setInputFiles({ name: 'faux.pdf', mimeType: 'application/pdf', buffer: Buffer.from('<html><body>Pas un PDF</body></html>') });
  await expect(page.locator('.fr-error-text').filter({ hasText: 'n’est pas un PDF' })).toBeVisible();
  await expect(page.getByRole('link', { name: /Télécharger faux\.pdf/ })).toHaveCount(0);
  await expect(page.getByText('1 sur 6 fichiers joints.')).toBeVisible();
  await expectNoAxeViolations(page);
  await nextStep(page, 5);

  // 5. Contacts; the connection drops while typing the last one.
  const fill = async (legend: string, tag: string) => {
    const set = page.getByRole('group', { name: legend });
    await set.getByLabel('Prénom').fill('Camille');
    await set.getByLabel('Nom', { exact: true }).fill(`Martin-${tag}`);
    await set.getByLabel('Adresse électronique').fill(`${tag}@occitanie.fr`);
    await set.getByLabel('Téléphone').fill('05 61 33 50 50');
    await set.getByLabel('Fonction').fill('Chargée de mission');
  };
  await fill('Délégué·e à la protection des données (DPO)', 'dpo');
  await fill('Responsable de traitement', 'responsable');
  await fill('Contact métier', 'metier');
  await saved(page);
  await context.setOffline(true);
  await fill('Contact technique', `technique.${stamp}`);
  await expect(page.getByTestId('save-status')).toHaveText('Hors ligne — vos saisies sont gardées sur cet appareil', { timeout: 10_000 });
  await context.setOffline(false);
  await saved(page);
  await expectNoAxeViolations(page);

  // Another tab changes the title meanwhile: this tab's next save is a conflict.
  const other = await context.newPage();
  await other.goto(`/demandes/${id}/etape/2`);
  await hydrated(other);
  await other.getByLabel('Intitulé de la demande').fill('Titre changé dans un autre onglet');
  await saved(other);
  await other.close();
  const set = page.getByRole('group', { name: 'Contact technique' });
  await set.getByLabel('Fonction').fill('Responsable informatique');
  await expect(page.getByTestId('save-status')).toHaveText('Conflit', { timeout: 10_000 });
  const conflict = page.getByRole('alert').filter({ hasText: 'modifiée ailleurs' });
  await expect(conflict).toContainText('Intitulé de la demande');
  await expect(conflict).toContainText('Titre changé dans un autre onglet');
  await conflict.getByRole('button', { name: 'Garder ma version' }).click();
  await saved(page);
  await nextStep(page, 6);

  // 6. Summary, terms, submission.
  await expect(page.getByText('Responsable informatique')).toBeVisible();
  await expect(page.getByText('Pré-remplissage des formulaires d’aides').first()).toBeVisible();
  await page.locator('label[for="cgu"]').click({ position: { x: 5, y: 5 } });
  await expect(page.locator('#cgu')).toBeChecked();
  await saved(page);
  await expectNoAxeViolations(page);
  const submit = page.getByRole('button', { name: 'Déposer la demande' });
  await expect(submit).toBeEnabled();
  await submit.click();
  await expect(page).toHaveURL(new RegExp(`/demandes/${id}$`));
  await expect(page.getByText('En cours d’instruction').first()).toBeVisible();
  // The attachment is downloaded as a file, as it was sent.
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: /Télécharger Délibération du conseil\.pdf/ }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('Délibération du conseil.pdf');
  expect(readFileSync(await file.path()).toString()).toBe(pdf);
  await expect
    .poll(() => readMails().some((m) => m.to.includes(email) && m.subject.includes(`Demande n° ${id} reçue`)), {
      timeout: 15_000,
    })
    .toBe(true);
  console.check();

  // The rest of the journey: acceptance, the technical contact's token, the API.
  await fromAcceptanceToApiCall(browser, Number(id), technical, 'Pré-remplissage des formulaires d’aides', '21340172201787');
});

test('le demandeur retrouve son organisation par son nom, au clavier, complète le NIC d’une commune, et trouve un CHU par la recherche en ligne', async ({ page }) => {
  const stamp = Date.now();
  await signUpAndIn(page, `par.le.nom.${stamp}@occitanie.fr`, password);
  await page.goto('/demandes');
  await hydrated(page);
  await newFreeRequest(page);
  await expect(page).toHaveURL(/\/demandes\/\d+\/etape\/1$/);
  await hydrated(page);
  const console = watchConsole(page);

  const search = page.getByRole('combobox', { name: /Rechercher votre organisation par son nom/ });
  const list = page.getByRole('listbox', { name: 'Organisations trouvées' });
  const status = page.locator('#recherche-organisation-statut');
  const siret = page.getByLabel('Numéro SIRET de l’organisation');
  await expect(search).toHaveAttribute('aria-expanded', 'false');

  // A région, from the built-in list: its head office's SIRET comes with it.
  await search.pressSequentially('région occitanie', { delay: 20 });
  await expect(list).toBeVisible();
  await expect(search).toHaveAttribute('aria-expanded', 'true');
  await expect(status).toContainText(/organisations? trouvées?/);
  const first = list.getByRole('option').first();
  await expect(first).toContainText('Région — Occitanie');
  await expect(first).toContainText('SIRET 200 053 791 00014');
  await expectNoAxeViolations(page);
  await search.press('ArrowDown');
  await expect(search).toHaveAttribute('aria-activedescendant', 'recherche-organisation-liste-0');
  await expect(first).toHaveAttribute('aria-selected', 'true');
  await search.press('Enter');
  await expect(list).toBeHidden();
  await expect(siret).toHaveValue('20005379100014');
  await expect(page.getByLabel('Nom de l’organisation')).toHaveValue('Région — Occitanie');
  await expect(page.locator('.fr-callout')).toContainText('Catégorie juridique 7230');
  await saved(page);

  // A commune is known by its SIREN only: the applicant adds the NIC, with help.
  await search.fill('');
  await search.pressSequentially('commune de meaux', { delay: 20 });
  const meaux = list.getByRole('option').first();
  await expect(meaux).toContainText('Meaux');
  await expect(meaux).toContainText('SIREN 217 702 844 (NIC à compléter)');
  await meaux.click();
  await expect(list).toBeHidden();
  await expect(siret).toHaveValue('217702844');
  await expect(siret).toBeFocused();
  await expect(page.locator('#aide-nic')).toContainText('217 702 844');
  await expect(page.locator('#aide-nic a')).toHaveAttribute('href', 'https://annuaire-entreprises.data.gouv.fr/entreprise/217702844');
  await siret.press('End');
  await siret.pressSequentially('00010');
  await page.getByRole('button', { name: 'Rechercher l’organisation' }).click();
  await expect(page.locator('#aide-nic')).toBeHidden();
  await expect(page.getByLabel('Nom de l’organisation')).toHaveValue('Meaux');
  await expect(page.locator('.fr-callout')).toContainText('Catégorie juridique 7210');
  await saved(page);

  // A public hospital is outside the offline index: the online search finds
  // it (here its stand-in, end2end/recherche_entreprises.py) and it comes
  // first, before the commune of Nantes (which has no "CHU" in its name);
  // the company the online search also returns comes after them (here past
  // the ten shown); marked as found online.
  await search.fill('');
  await search.pressSequentially('chu nantes', { delay: 20 });
  const options = list.getByRole('option');
  await expect(options.first()).toContainText('CENTRE HOSPITALIER UNIVERSITAIRE DE NANTES');
  await expect(options.first()).toContainText('en ligne');
  await expect(options.first()).toContainText('SIRET 264 400 136 00018');
  await expect(options.nth(1)).toContainText('Nantes');
  await expect(list).not.toContainText('PHARMACIE DU CHU DE NANTES');
  await options.first().click();
  await expect(siret).toHaveValue('26440013600018');
  await expect(page.getByLabel('Nom de l’organisation')).toHaveValue('CENTRE HOSPITALIER UNIVERSITAIRE DE NANTES');
  await expect(page.locator('.fr-callout')).toContainText('Catégorie juridique 7364');
  await saved(page);

  // Nothing found, said in words; Escape closes, then clears.
  await search.fill('');
  await search.pressSequentially('zzzz qqqq', { delay: 20 });
  await expect(status).toHaveText(/Aucune organisation trouvée/);
  await search.press('Escape');
  await search.press('Escape');
  await expect(search).toHaveValue('');
  console.check();
});
