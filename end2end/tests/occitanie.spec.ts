import { test, expect, type Page } from '@playwright/test';
import { hydrated, instructorIn, signUpAndIn, watchConsole, nextStep, saved } from './helpers';

const password = 'cheval agrafe batterie correcte';

/** The seed's three requests of the Région Occitanie (DOMAIN.md): each from a
 * template, and how many sensitive data it ends up with. */
const plans = [
  { template: 'Pré-remplissage de formulaires en ligne', title: 'Pré-remplissage des formulaires d’aides à partir du SIRET', sensitive: 0 },
  { template: 'Aides publiques aux entreprises', title: 'Pré-qualification des dossiers d’aides publiques', sensitive: 2 },
  { template: 'Aides publiques aux entreprises', title: 'Instruction des dossiers d’aides économiques', sensitive: 8 },
];

test('un nouveau demandeur qui ne connaît que « Région Occitanie » dépose les trois demandes du jeu de démonstration à partir des modèles, sans saisir de SIRET', async ({ page, context }) => {
  test.setTimeout(480_000);
  const stamp = Date.now();
  const email = `region.${stamp}@laregion.fr`;
  await signUpAndIn(page, email, password);
  const console = watchConsole(page);
  const ids: number[] = [];

  for (const plan of plans) {
    // "Nouvelle demande": the templates first.
    await page.goto('/demandes');
    await hydrated(page);
    await page.getByRole('link', { name: 'Nouvelle demande' }).click();
    await expect(page).toHaveURL(/\/demandes\/nouvelle$/);
    await hydrated(page);
    await page.getByRole('button', { name: `Utiliser le modèle « ${plan.template} »` }).click();
    await expect(page).toHaveURL(/\/demandes\/\d+\/etape\/1$/);
    const id = Number(page.url().match(/demandes\/(\d+)/)?.[1]);
    ids.push(id);
    await hydrated(page);

    // 1. The organisation, by its name only.
    const search = page.getByRole('combobox', { name: /Rechercher votre organisation par son nom/ });
    await search.pressSequentially('Région Occitanie', { delay: 20 });
    const option = page.getByRole('listbox', { name: 'Organisations trouvées' }).getByRole('option').first();
    await expect(option).toContainText('Région — Occitanie');
    await option.click();
    await expect(page.getByLabel('Numéro SIRET de l’organisation')).toHaveValue('20005379100014');
    await expect(page.locator('.fr-callout')).toContainText('Catégorie juridique 7230');
    await saved(page);
    await nextStep(page, 2);

    // 2. The context: the template's, retitled; volume and date are the Région's.
    await expect(page.getByLabel('Description du cas d’usage')).not.toHaveValue('');
    await page.getByLabel('Intitulé de la demande').fill(plan.title);
    await page.getByLabel('Volumétrie attendue (appels par jour)').fill('2 000');
    await page.getByLabel('Date de mise en service prévue').fill('2027-03-01');
    await saved(page);
    await nextStep(page, 3);

    // 3. The data: the template's, with as many sensitive ones as the plan.
    const sensitive = page.locator('.fr-checkbox-group').filter({ hasText: 'Sensible' });
    const total = await sensitive.count();
    for (let i = 0; i < total; i++) {
      const box = sensitive.nth(i).locator('input[type="checkbox"]');
      const wanted = await checkedCount(page) < plan.sensitive;
      if ((await box.isChecked()) && (await checkedCount(page)) > plan.sensitive) {
        await sensitive.nth(i).locator('label').click();
        await expect(box).not.toBeChecked();
      } else if (!(await box.isChecked()) && wanted) {
        await sensitive.nth(i).locator('label').click();
        await expect(box).toBeChecked();
      }
    }
    expect(await checkedCount(page)).toBe(plan.sensitive);
    const reasons = page.getByLabel('Pourquoi cette donnée sensible est-elle nécessaire ?');
    await expect(reasons).toHaveCount(plan.sensitive);
    for (let i = 0; i < plan.sensitive; i++) {
      await reasons.nth(i).fill('Instruire les dossiers d’aides économiques de la Région.');
    }
    await saved(page);
    await nextStep(page, 4);

    // 4. The legal framework comes from the template, the retention period
    // with its justification.
    await expect(page.getByLabel('Fondement juridique')).not.toHaveValue('');
    await expect(page.getByLabel('Liens vers les textes (un par ligne)')).toHaveValue(/^https:\/\//);
    if (Number(await page.getByLabel('Durée de conservation (en mois)').inputValue()) > 36) {
      await expect(page.getByLabel('Justification de la durée de conservation')).not.toHaveValue('');
    }
    await saved(page);
    await nextStep(page, 5);

    // 5. The contacts.
    const fill = async (legend: string, tag: string) => {
      const set = page.getByRole('group', { name: legend });
      await set.getByLabel('Prénom').fill('Camille');
      await set.getByLabel('Nom', { exact: true }).fill(`Martin-${tag}`);
      await set.getByLabel('Adresse électronique').fill(`${tag}.${stamp}@laregion.fr`);
      await set.getByLabel('Téléphone').fill('05 61 33 50 50');
      await set.getByLabel('Fonction').fill('Chargée de mission');
    };
    await fill('Délégué·e à la protection des données (DPO)', 'dpo');
    await fill('Responsable de traitement', 'responsable');
    await page.getByRole('button', { name: 'Contact métier : mêmes coordonnées que le responsable de traitement' }).click();
    await fill('Contact technique', 'technique');
    await saved(page);
    await nextStep(page, 6);

    // 6. Terms, then filed.
    await page.locator('label[for="cgu"]').click({ position: { x: 5, y: 5 } });
    await expect(page.locator('#cgu')).toBeChecked();
    await saved(page);
    await page.getByRole('button', { name: 'Déposer la demande' }).click();
    await expect(page).toHaveURL(new RegExp(`/demandes/${id}$`));
    await expect(page.getByText('En cours d’instruction').first()).toBeVisible();
  }

  // The three are the Région's, each under instruction.
  await page.goto('/demandes');
  await hydrated(page);
  for (const plan of plans) {
    const row = page.locator('tr, .fr-card').filter({ hasText: plan.title });
    await expect(row.first()).toContainText('En cours d’instruction');
  }
  console.check();

  // The instructor sees where each came from and what was changed: the
  // pre-qualification dropped data of its template, the instruction added some.
  const instructor = await instructorIn(context, `instructeur.occitanie.${stamp}@beta.gouv.fr`);
  await instructor.goto(`/instruction/demandes/${ids[1]}`);
  await hydrated(instructor);
  await expect(instructor.getByText('Demande créée à partir du modèle « Aides publiques aux entreprises »')).toBeVisible();
  await expect(instructor.getByText('Données du modèle retirées par le demandeur')).toBeVisible();
  await expect(instructor.getByText('Région — Occitanie').first()).toBeVisible();
  await instructor.goto(`/instruction/demandes/${ids[2]}`);
  await hydrated(instructor);
  await expect(instructor.getByText('Données ajoutées par rapport au modèle')).toBeVisible();
});

/** How many sensitive data are ticked on step 3. */
async function checkedCount(page: Page): Promise<number> {
  return page.locator('.fr-checkbox-group').filter({ hasText: 'Sensible' }).locator('input[type="checkbox"]:checked').count();
}
