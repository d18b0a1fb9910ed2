// A real OpenID Connect provider for the tests, on loopback: the certified
// `oidc-provider` package, configured as ProConnect is (confidential client
// with `client_secret_post`, PKCE, signed userinfo, the claims `email`,
// `given_name`, `usual_name`, `siret`, `uid`, `acr` values, RP-initiated
// logout). Only the login screen is ours: it signs in the account named in
// the form (`login`), as an agent would at their identity provider.
//
// Environment: PORT (0: any free port), CLIENT_ID, CLIENT_SECRET,
// REDIRECT_URIS and POST_LOGOUT_URIS (comma-separated), CODE_TTL (seconds),
// ACCOUNTS (JSON: login -> claims). The login screen takes `login` or
// `login#acr` (the authentication level reached, `eidas1` by default).
// Prints `ISSUER=<url>` once it listens.
import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

// Standard output carries the issuer line only; the package's notices go
// to standard error (the test may stop reading standard output).
for (const level of ['log', 'info', 'warn']) {
  console[level] = (...args) => process.stderr.write(`${args.join(' ')}\n`);
}

const env = (k, d) => process.env[k] ?? d;
const accounts = JSON.parse(env('ACCOUNTS', '{}'));

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(env('PORT', '0')), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', use: 'sig', alg: 'RS256' };

const page = (title, body) =>
  `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body><h1>${title}</h1>${body}</body></html>`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: env('CLIENT_ID', 'guichet'),
      client_secret: env('CLIENT_SECRET', 'secret-de-test'),
      redirect_uris: env('REDIRECT_URIS', '').split(',').filter(Boolean),
      post_logout_redirect_uris: env('POST_LOGOUT_URIS', '').split(',').filter(Boolean),
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
      userinfo_signed_response_alg: 'RS256',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  jwks: { keys: [jwk] },
  scopes: ['openid', 'email', 'given_name', 'usual_name', 'siret', 'uid'],
  claims: {
    openid: ['sub'],
    email: ['email'],
    given_name: ['given_name'],
    usual_name: ['usual_name'],
    siret: ['siret'],
    uid: ['uid'],
    acr: null,
  },
  acrValues: ['eidas1', 'eidas2', 'eidas3'],
  pkce: { required: () => true },
  ttl: {
    AuthorizationCode: Number(env('CODE_TTL', '60')),
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
    AccessToken: 600,
    IdToken: 600,
  },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: false },
    jwtUserinfo: { enabled: true },
    // ProConnect asks the agent to confirm; plain pages, nothing fetched
    // from elsewhere.
    rpInitiatedLogout: {
      enabled: true,
      logoutSource(ctx, form) {
        ctx.type = 'html';
        ctx.body = page('Déconnexion', `${form}<p>Se déconnecter du fournisseur d’identité ?</p>` +
          '<button type="submit" form="op.logoutForm" name="logout" value="yes">Oui, me déconnecter</button>');
      },
      postLogoutSuccessSource(ctx) {
        ctx.type = 'html';
        ctx.body = page('Déconnecté', '<p>Vous êtes déconnecté.</p>');
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const claims = accounts[sub];
    if (!claims) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, ...claims };
      },
    };
  },
});
// Plain http on loopback: the provider would otherwise want https.
provider.proxy = false;

const readForm = (req) =>
  new Promise((resolve) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => resolve(new URLSearchParams(body)));
  });

const callback = provider.callback();
server.on('request', async (req, res) => {
  if (req.url === '/favicon.ico') {
    res.statusCode = 204;
    return res.end();
  }
  const match = req.url.match(/^\/interaction\/([\w-]+)(\/login)?/);
  if (!match) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      return res.end(
        page(
          'Fournisseur d’identité de test',
          `<form method="post" action="/interaction/${details.uid}/login">` +
            `<label for="login">Identifiant</label> <input id="login" name="login" autofocus>` +
            `<button type="submit">Se connecter</button></form>`,
        ),
      );
    }
    // `login#acr` signs `login` in at that authentication level.
    const [login, acr] = ((await readForm(req)).get('login') ?? '').split('#');
    const account = accounts[login];
    if (!account) {
      res.statusCode = 400;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      return res.end(page('Identifiant inconnu', '<p>Aucun compte de test ne porte cet identifiant.</p>'));
    }
    const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: login, acr: acr || 'eidas1', amr: ['pwd'] }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  } catch (e) {
    res.statusCode = 400;
    res.end(String(e));
  }
});

process.stdout.write(`ISSUER=${issuer}\n`);
