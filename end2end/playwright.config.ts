import { defineConfig } from '@playwright/test';
import * as path from 'path';

// The server under test: the debug build made by `cargo leptos build`, on a
// fresh SQLite file in end2end/.data, on its own port, sending its emails to
// a real SMTP server (end2end/smtp_sink.py) on the port 1000 above.
const port = Number(process.env.E2E_PORT ?? 3107);
const root = path.resolve(__dirname, '..');
export const dataDir = path.join(__dirname, '.data');
export const baseURL = `http://127.0.0.1:${port}`;
const smtpPort = port + 1000;
/** The stand-in for the public company search (the Internet is out of reach). */
const searchPort = port + 2000;
/** The OpenID Connect provider standing in for ProConnect. */
const oidcPort = port + 3000;
export const oidcIssuer = `http://127.0.0.1:${oidcPort}`;
/** The agents it knows (login on its screen → ProConnect claims). */
export const oidcAccounts = {
  'agent.occitanie': {
    email: 'agent.proconnect@occitanie.fr',
    given_name: 'Camille',
    usual_name: 'Martin',
    siret: '20005379100014',
    uid: 'e2e-1',
  },
};
/** Where the SMTP sink writes what it receives. */
export const mailDir = path.join(dataDir, 'smtp');

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    baseURL,
    locale: 'fr-FR',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      // The browser's own language (date fields show jj/mm/aaaa): on Linux
      // Chromium takes it from LANGUAGE, not from `locale` or `--lang`. LANG
      // stays a UTF-8 locale the machine has: with an ungenerated fr_FR one,
      // a downloaded « Délibération.pdf » loses its name.
      env: { ...process.env, LANG: 'C.UTF-8', LANGUAGE: 'fr' },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      // A real SMTP server: Guichet's delivery worker sends every email to it.
      command: `python3 ${path.join(__dirname, 'smtp_sink.py')} ${smtpPort} ${mailDir}`,
      port: smtpPort,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      // The online directory: knows the CHU de Nantes, outside the offline index.
      command: `python3 ${path.join(__dirname, 'recherche_entreprises.py')} ${searchPort}`,
      url: `http://127.0.0.1:${searchPort}/search?q=chu+nantes`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      // ProConnect: the certified oidc-provider, configured as ProConnect is.
      command: `node ${path.join(__dirname, 'oidc', 'provider.mjs')}`,
      port: oidcPort,
      reuseExistingServer: false,
      timeout: 30_000,
      env: {
        PORT: String(oidcPort),
        CLIENT_ID: 'guichet-e2e',
        CLIENT_SECRET: 'secret-du-client-e2e',
        REDIRECT_URIS: `${baseURL}/connexion/proconnect/retour`,
        POST_LOGOUT_URIS: `${baseURL}/`,
        ACCOUNTS: JSON.stringify(oidcAccounts),
      },
    },
    {
      command: `${process.env.GUICHET_BIN ?? path.join(root, 'target/debug/guichet')} serve`,
      cwd: root,
      url: `${baseURL}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: {
        LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
        LEPTOS_SITE_ROOT: path.join(root, 'target/site'),
        LEPTOS_ENV: 'PROD',
        GUICHET_DATA_DIR: dataDir,
        DATABASE_URL: '',
        SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        GUICHET_DIRECTORY_ONLINE_URL: `http://127.0.0.1:${searchPort}`,
        GUICHET_PROCONNECT_ISSUER: oidcIssuer,
        GUICHET_PROCONNECT_CLIENT_ID: 'guichet-e2e',
        GUICHET_PROCONNECT_CLIENT_SECRET: 'secret-du-client-e2e',
        // Every test signs in from 127.0.0.1: the per-address limit (tested
        // in tests/auth.rs) would stop the suite.
        GUICHET_AUTH_PER_MINUTE: '1000',
        RUST_LOG: 'warn',
      },
    },
  ],
});
