import { test, expect } from '@playwright/test';
import { appCode, expectNoAxeViolations, rememberAppSecret, hydrated, instructorIn, runGuichet, waitForMailLink, watchConsole } from './helpers';

const password = 'cheval agrafe batterie correcte';
const newPassword = 'une autre phrase bien longue';

test.describe('comptes', () => {
  test('inscription, confirmation par courriel, connexion, déconnexion, mot de passe oublié', async ({ page }) => {
    test.setTimeout(90_000);
    const console = watchConsole(page);
    const email = `agent.${Date.now()}@occitanie.fr`;

    // Registration.
    await page.goto('/');
    await page.getByRole('link', { name: 'Créer un compte' }).click();
    await expect(page).toHaveURL(/\/inscription$/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Créer un compte');
    await hydrated(page);
    await expectNoAxeViolations(page);
    const submit = page.getByRole('button', { name: 'Créer mon compte' });
    await page.getByLabel('Adresse électronique professionnelle').fill(email);
    await page.locator('input[name="password"]').fill(password);
    await submit.click();
    await expect(page.getByRole('heading', { name: 'Vérifiez votre messagerie' })).toBeVisible();

    // The confirmation email arrives; its link confirms the address.
    const confirm = await waitForMailLink(email, 'Confirmez votre adresse');
    await page.goto(confirm);
    await hydrated(page);
    await expectNoAxeViolations(page);
    await page.getByRole('button', { name: 'Confirmer mon adresse' }).click();
    await expect(page.getByRole('heading', { name: 'Adresse confirmée' })).toBeVisible();

    // Sign in: the header changes, "Mon compte" shows the address.
    await page.getByRole('link', { name: 'Se connecter' }).last().click();
    await expect(page).toHaveURL(/\/connexion$/);
    await hydrated(page);
    await expectNoAxeViolations(page);
    await page.getByLabel('Adresse électronique').fill(email);
    await page.locator('input[name="password"]').fill(password);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await expect(page).toHaveURL(/\/demandes$/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Mes demandes');
    await expect(page.getByRole('banner').getByRole('link', { name: 'Mes demandes' })).toBeVisible();
    await page.goto('/mon-compte');
    await expect(page.getByText(`Connecté avec l’adresse ${email}`)).toBeVisible();
    await hydrated(page);
    await expectNoAxeViolations(page);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'guichet_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Lax');

    // Sign out: back home, signed-in pages send to the sign-in page.
    await page.getByRole('banner').getByRole('button', { name: 'Se déconnecter' }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole('banner').getByRole('link', { name: 'Se connecter' })).toBeVisible();
    // A signed-in page sends to the sign-in, which will come back to it.
    await page.goto('/mon-compte');
    await expect(page).toHaveURL(/\/connexion\?suite=%2Fmon-compte$/);

    // Forgotten password: a link by email, a new password, sign in with it.
    await page.getByRole('link', { name: 'Mot de passe oublié ?' }).click();
    await hydrated(page);
    await expectNoAxeViolations(page);
    await page.getByLabel('Adresse électronique').fill(email);
    await page.getByRole('button', { name: 'Recevoir un lien' }).click();
    await expect(page.getByRole('heading', { name: 'Demande enregistrée' })).toBeVisible();
    const reset = await waitForMailLink(email, 'Réinitialisation');
    await page.goto(reset);
    await hydrated(page);
    await expectNoAxeViolations(page);
    await page.locator('input[name="password"]').fill(newPassword);
    await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
    await expect(page.getByRole('heading', { name: 'Mot de passe enregistré' })).toBeVisible();

    await page.goto('/connexion');
    await hydrated(page);
    await page.getByLabel('Adresse électronique').fill(email);
    await page.locator('input[name="password"]').fill(newPassword);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await expect(page).toHaveURL(/\/demandes$/);

    console.check();

    // The reset link served once (the 410 answer is expected here).
    await page.goto(reset);
    await hydrated(page);
    await page.locator('input[name="password"]').fill('encore une autre phrase');
    await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
    await expect(page.getByRole('alert').first()).toContainText('Ce lien a déjà servi');
  });

  test('sans JavaScript, les formulaires fonctionnent aussi', async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto('/inscription');
    await page.getByLabel('Adresse électronique professionnelle').fill('sans.js@ville.fr');
    await page.locator('input[name="password"]').fill('court');
    await page.getByRole('button', { name: 'Créer mon compte' }).click();
    await expect(page).toHaveURL(/\/inscription\?/);
    await expect(page.getByRole('alert').first()).toContainText('corrigez le champ signalé');
    await expect(page.locator('#champ-password-erreur')).toContainText('au moins 8 caractères');
    await page.getByLabel('Adresse électronique professionnelle').fill('sans.js@ville.fr');
    await page.locator('input[name="password"]').fill(password);
    await page.getByRole('button', { name: 'Créer mon compte' }).click();
    await expect(page.getByRole('heading', { name: 'Vérifiez votre messagerie' })).toBeVisible();
    const confirm = await waitForMailLink('sans.js@ville.fr', 'Confirmez votre adresse');
    await page.goto(confirm);
    await page.getByRole('button', { name: 'Confirmer mon adresse' }).click();
    await expect(page.getByRole('heading', { name: 'Adresse confirmée' })).toBeVisible();
    await page.goto('/connexion');
    await page.getByLabel('Adresse électronique').fill('sans.js@ville.fr');
    await page.locator('input[name="password"]').fill(password);
    await page.getByRole('main').getByRole('button', { name: 'Se connecter' }).click();
    await expect(page).toHaveURL(/\/demandes$/);
    await page.goto('/mon-compte');
    await expect(page.getByText('Connecté avec l’adresse sans.js@ville.fr')).toBeVisible();
    await page.getByRole('banner').getByRole('button', { name: 'Se déconnecter' }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole('banner').getByRole('link', { name: 'Se connecter' })).toBeVisible();
    await context.close();
  });

  test('les erreurs sont dites en français, à côté du champ', async ({ page }) => {
    await page.goto('/inscription');
    await hydrated(page);
    await page.getByLabel('Adresse électronique professionnelle').fill('camille@ville.fr');
    await page.locator('input[name="password"]').fill('motdepasse');
    await page.getByRole('button', { name: 'Créer mon compte' }).click();
    await expect(page.getByRole('alert').first()).toContainText('corrigez le champ signalé');
    await expect(page.locator('#champ-password-erreur')).toContainText('trop courant');
    await expect(page.locator('input[name="password"]')).toHaveAttribute('aria-invalid', 'true');

    await page.goto('/connexion');
    await hydrated(page);
    await page.getByLabel('Adresse électronique').fill('personne@ville.fr');
    await page.locator('input[name="password"]').fill('pas le bon');
    await page.getByRole('main').getByRole('button', { name: 'Se connecter' }).click();
    await expect(page.getByRole('alert').first()).toContainText('Adresse électronique ou mot de passe incorrect.');
    await expectNoAxeViolations(page);
  });

  test('un administrateur créé en ligne de commande choisit son mot de passe et invite un instructeur', async ({ page }) => {
    test.setTimeout(60_000);
    const console = watchConsole(page);
    const admin = `admin.${Date.now()}@beta.gouv.fr`;
    const instructor = `instructeur.${Date.now()}@beta.gouv.fr`;
    const out = runGuichet(['admin', 'create-admin', '--email', admin]);
    const link = out.match(/https?:\/\/\S+jeton=[A-Za-z0-9_-]+/)?.[0];
    expect(link, out).toBeTruthy();

    await page.goto(link as string);
    await hydrated(page);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Choisir votre mot de passe');
    await expectNoAxeViolations(page);
    await page.locator('input[name="password"]').fill(password);
    await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
    await expect(page.getByRole('heading', { name: 'Mot de passe enregistré' })).toBeVisible();

    await page.goto('/connexion');
    await hydrated(page);
    await page.getByLabel('Adresse électronique').fill(admin);
    await page.locator('input[name="password"]').fill(password);
    await page.getByRole('main').getByRole('button', { name: 'Se connecter' }).click();
    // First sign-in of staff: the authenticator app.
    await expect(page).toHaveURL(/\/connexion\/double-authentification/);
    await hydrated(page);
    rememberAppSecret(admin, (await page.getByTestId('cle-totp').textContent()) as string);
    await page.getByLabel('Code de l’application').fill(appCode(admin));
    await page.getByRole('button', { name: 'Activer la double authentification' }).click();
    await page.getByRole('link', { name: 'J’ai conservé mes codes, continuer' }).click();
    await expect(page).toHaveURL(/\/admin\/comptes$/);
    await hydrated(page);
    const row = page.getByRole('row', { name: new RegExp(admin.replace(/\./g, '\\.')) });
    await expect(row).toContainText('Administrateur');
    await expect(row).toContainText('Actif');
    await expectNoAxeViolations(page);

    await page.getByLabel('Adresse électronique').fill(instructor);
    await page.getByRole('button', { name: 'Envoyer l’invitation' }).click();
    await expect(page.getByRole('heading', { name: 'Invitation envoyée' })).toBeVisible();
    await expect(page.getByRole('row', { name: new RegExp(instructor.replace(/\./g, '\\.')) })).toContainText(
      'Invitation en attente',
    );
    const invitation = await waitForMailLink(instructor, 'Votre accès à Guichet');
    expect(invitation).toContain('/choisir-mot-de-passe?jeton=');
    console.check();
  });

  test('un administrateur désactive un instructeur : sa session prend fin et il ne peut plus se connecter ; réactivé, il revient', async ({ browser }) => {
    test.setTimeout(60_000);
    const stamp = Date.now();
    const adminContext = await browser.newContext({ locale: 'fr-FR' });
    const admin = await instructorIn(adminContext, `admin.desactive.${stamp}@beta.gouv.fr`, password, 'create-admin');
    const staffContext = await browser.newContext({ locale: 'fr-FR' });
    const email = `instructeur.desactive.${stamp}@beta.gouv.fr`;
    const instructor = await instructorIn(staffContext, email, password);
    await instructor.goto('/instruction');
    await expect(instructor).toHaveURL(/\/instruction$/);

    await admin.goto('/admin/comptes');
    await hydrated(admin);
    const row = admin.getByRole('row', { name: new RegExp(email.replace(/\./g, '\\.')) });
    await row.getByRole('button', { name: `Désactiver le compte ${email}` }).click();
    await expect(row).toContainText('Désactivé');
    await expect(row.getByRole('button', { name: `Réactiver le compte ${email}` })).toBeVisible();
    // One's own account has no such button.
    await expect(admin.getByRole('row', { name: /admin\.desactive/ }).getByRole('button')).toHaveCount(0);
    await expectNoAxeViolations(admin);

    // The instructor's next page is the sign-in, which says why it fails.
    await instructor.goto('/instruction');
    await expect(instructor).toHaveURL(/\/connexion/);
    await hydrated(instructor);
    await instructor.getByLabel('Adresse électronique').fill(email);
    await instructor.locator('input[name="password"]').fill(password);
    await instructor.getByRole('main').getByRole('button', { name: 'Se connecter' }).click();
    await expect(instructor.getByRole('alert').first()).toContainText('désactivé par un administrateur');

    await row.getByRole('button', { name: `Réactiver le compte ${email}` }).click();
    await expect(row).toContainText('Actif');
    await instructor.getByRole('main').getByRole('button', { name: 'Se connecter' }).click();
    // Then the code of the authenticator app.
    await expect(instructor).toHaveURL(/\/connexion\/code/);
    await hydrated(instructor);
    await instructor.getByLabel('Code de l’application').fill(appCode(email, 1));
    await instructor.getByRole('button', { name: 'Valider' }).click();
    await expect(instructor).toHaveURL(/\/instruction/);
    for (const c of [adminContext, staffContext]) await c.close();
  });
});
