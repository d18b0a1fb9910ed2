import { test, expect } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';
import { expectNoAxeViolations, insertRequests, watchConsole } from './helpers';

test.describe('pages publiques', () => {
  test('la page d’accueil s’affiche, s’hydrate et actualise les chiffres par une fonction serveur', async ({ page }) => {
    const console = watchConsole(page);
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self' 'nonce-[^']+' 'wasm-unsafe-eval'/);
    await expect(page).toHaveTitle('Accueil – Guichet API Entreprise');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Accéder à API Entreprise');
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');

    // The DSFR stylesheet and script are served locally and applied.
    const brandFont = await page.locator('h1').evaluate((el) => getComputedStyle(el).fontFamily);
    expect(brandFont).toContain('Marianne');

    // Server-rendered figures before any click.
    const counts = page.getByTestId('request-counts');
    const submitted = counts.locator('[data-state="submitted"]');
    const before = Number(await submitted.textContent());
    const totalBefore = Number(await counts.locator('[data-state="total"]').textContent());

    // The button is enabled only once the WASM bundle has hydrated the page.
    const refresh = page.getByRole('button', { name: 'Actualiser' });
    await expect(refresh).toBeEnabled();

    insertRequests('submitted', 3);
    insertRequests('accepted', 1);

    const call = page.waitForResponse(
      (r) => r.url().endsWith('/api/public/request_counts') && r.request().method() === 'POST',
    );
    await refresh.click();
    const res = await call;
    expect(res.status()).toBe(200);
    const body = await res.json();
    expect(body.total).toBe(totalBefore + 4);

    await expect(submitted).toHaveText(String(before + 3));
    await expect(counts.locator('[data-state="total"]')).toHaveText(String(totalBefore + 4));
    await expect(refresh).toBeEnabled();

    await expectNoAxeViolations(page);
    console.check();
  });

  test('la page d’accueil ne télécharge pas le code des pages lourdes (assistant, instruction, espace)', async ({ page }) => {
    const fetched: string[] = [];
    page.on('requestfinished', (r) => {
      if (r.url().includes('/pkg/')) fetched.push(new URL(r.url()).pathname);
    });
    await page.goto('/');
    await expect(page.locator('body[data-hydrated]')).toBeAttached();
    await expect(page.getByRole('button', { name: 'Actualiser' })).toBeEnabled();
    // Every module has a content-hashed name (hash-files), the main one included.
    expect(fetched.some((f) => /^\/pkg\/guichet\.[\w-]{22}\.wasm$/.test(f))).toBe(true);
    for (const f of fetched.filter((f) => f.endsWith('.wasm'))) expect(f).toMatch(/\.[\w-]{22}\.wasm$/);
    const css = await page.locator('link[rel="stylesheet"][href^="/pkg/"]').getAttribute('href');
    expect(css).toMatch(/^\/pkg\/guichet\.[\w-]{22}\.css$/);
    expect((await page.request.get(css as string)).status()).toBe(200);
    // Built with `--split`: those pages are separate modules, fetched when opened.
    expect(fetched.filter((f) => f.startsWith('/pkg/split_'))).toEqual([]);
    const pkg = path.join(__dirname, '..', '..', 'target', 'site', 'pkg');
    const manifest = fs.readdirSync(pkg).find((f) => /^__wasm_split_manifest\..*\.json$/.test(f));
    expect(manifest).toBeDefined();
    const parts = Object.keys(JSON.parse(fs.readFileSync(path.join(pkg, manifest as string), 'utf8'))).join(' ');
    for (const view of ['step_view', 'wizard_shell_view', 'dashboard_view', 'review_view', 'space_view']) {
      expect(parts).toContain(view);
    }
  });

  test('la politique de sécurité du contenu bloque un script injecté', async ({ page }) => {
    await page.goto('/');
    await expect(page.getByRole('button', { name: 'Actualiser' })).toBeEnabled();
    const violations: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') violations.push(msg.text());
    });
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__injected = true;';
      document.body.appendChild(s);
    });
    expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
    await expect.poll(() => violations.some((v) => v.includes('Content Security Policy'))).toBe(true);
  });

  test('la déclaration d’accessibilité est en ligne et accessible', async ({ page }) => {
    const console = watchConsole(page);
    const response = await page.goto('/accessibilite');
    expect(response?.status()).toBe(200);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Déclaration d’accessibilité');
    await expect(page.getByText('non conforme', { exact: true })).toBeVisible();
    await expectNoAxeViolations(page);
    console.check();
  });

  test('une adresse inconnue répond 404 avec une page en français', async ({ page }) => {
    const response = await page.goto('/cette-page-n-existe-pas');
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page non trouvée');
    await expect(page.getByRole('link', { name: 'Page d’accueil' })).toHaveAttribute('href', '/');
    await expectNoAxeViolations(page);
  });

  test('la navigation du pied de page mène à la déclaration d’accessibilité sans rechargement', async ({ page }) => {
    const console = watchConsole(page);
    await page.goto('/');
    await expect(page.getByRole('button', { name: 'Actualiser' })).toBeEnabled();
    await page.evaluate(() => ((window as unknown as { __marker: number }).__marker = 42));
    await page.getByRole('link', { name: 'Accessibilité : non conforme' }).click();
    await expect(page).toHaveURL(/\/accessibilite$/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Déclaration d’accessibilité');
    // Client-side routing kept the same document.
    expect(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(42);
    console.check();
  });

  test('/healthz répond 200 quand la base est joignable', async ({ request }) => {
    const res = await request.get('/healthz');
    expect(res.status()).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', database: 'ok' });
  });
});
