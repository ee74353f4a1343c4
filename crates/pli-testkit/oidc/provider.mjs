// An OpenID Connect provider for the tests, shaped like ProConnect (the French state's
// federation of identity providers): the npm package `oidc-provider` (a certified
// implementation, installed by `cargo xtask test`), started by `pli_testkit::OidcProvider`.
//
// Input: one JSON argument (or the variable PLI_OIDC_PROVIDER_CONFIG):
//   { "port": 1234, "node_modules": "/…/node_modules", "exit_with_stdin": true,
//     "client": { "client_id", "client_secret", "redirect_uris": [..],
//                 "post_logout_redirect_uris": [..] },
//     "accounts": [{ "id", "email", "given_name", "usual_name", "uid", "siret", "idp_id" }] }
//
// What it imitates of ProConnect: the scopes and claims (`given_name`, `usual_name`,
// `email`, `uid`, `siret`, `idp_id`, each scope naming its claim), the `eidas1` acr, an
// RS256-signed ID token and userinfo (ProConnect answers userinfo as `application/jwt`),
// `client_secret_post`, PKCE, and RP-initiated logout that returns to the relying party
// without asking (the confirmation form submits itself). The sign-in page is this
// script's own: one field, the account's id, and no password.
//
// Prints `listening <issuer>` on stdout once it accepts connections; errors go to stderr.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const input = process.argv[2] ?? process.env.PLI_OIDC_PROVIDER_CONFIG;
if (!input) {
  console.error('usage: node provider.mjs <json> (or PLI_OIDC_PROVIDER_CONFIG=<json>)');
  process.exit(2);
}
const config = JSON.parse(input);

// An import by absolute path: ESM imports ignore NODE_PATH, and the package lives in
// target/tools/npm, not beside this script.
const { default: Provider } = await import(
  pathToFileURL(join(config.node_modules, 'oidc-provider', 'lib', 'index.js')).href
);

const issuer = `http://127.0.0.1:${config.port}`;
const accounts = new Map(config.accounts.map((account) => [account.id, account]));

// ProConnect's claims, each behind the scope of the same name.
const CLAIMS = ['given_name', 'usual_name', 'email', 'uid', 'siret', 'idp_id'];

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'test-rs256' };

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: config.client.client_id,
      client_secret: config.client.client_secret,
      redirect_uris: config.client.redirect_uris,
      post_logout_redirect_uris: config.client.post_logout_redirect_uris ?? [],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
      userinfo_signed_response_alg: 'RS256',
    },
  ],
  jwks: { keys: [jwk] },
  cookies: {
    keys: [randomBytes(32).toString('base64url')],
    // Cookies ignore ports: on 127.0.0.1 these share the jar with the relay's, so they
    // carry names the relay cannot use.
    names: {
      session: 'proconnect_session',
      interaction: 'proconnect_interaction',
      resume: 'proconnect_interaction_resume',
    },
  },
  scopes: ['openid', ...CLAIMS],
  claims: {
    openid: ['sub'],
    ...Object.fromEntries(CLAIMS.map((claim) => [claim, [claim]])),
  },
  acrValues: ['eidas1', 'eidas2', 'eidas3'],
  // oidc-provider's defaults, written out so that it does not warn about each of them.
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 3600,
    Session: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
  },
  async findAccount(ctx, id) {
    const account = accounts.get(id);
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          ...Object.fromEntries(CLAIMS.map((claim) => [claim, account[claim]])),
        };
      },
    };
  },
  features: {
    devInteractions: { enabled: false },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // ProConnect ends its session without asking: the confirmation form submits
      // itself, signing out of every client (`logout=yes`).
      async logoutSource(ctx, form) {
        const auto = form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>');
        ctx.type = 'html';
        ctx.body = page(
          'Déconnexion',
          `${auto}<noscript><button type="submit" form="op.logoutForm">Se déconnecter</button></noscript>
<script>document.getElementById('op.logoutForm').submit();</script>`,
        );
      },
      async postLogoutSuccessSource(ctx) {
        ctx.type = 'html';
        ctx.body = page('Déconnecté', '<h1>Vous êtes déconnecté.</h1>');
      },
    },
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    const lines = Object.entries(out).map(([key, value]) => `<li>${escape(key)}: ${escape(value)}</li>`);
    ctx.body = page('Erreur', `<h1>Erreur</h1><ul id="error">${lines.join('')}</ul>`);
  },
});

provider.on('server_error', (ctx, error) => console.error('server_error', error));

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>ProConnect (test) – ${escape(title)}</title></head>
<body>${body}</body></html>`;
}

function loginPage(uid, error) {
  return `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>ProConnect (test)</title></head>
<body>
<main>
<h1>ProConnect (test)</h1>
${error ? `<p id="error" role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}">
<label for="login">Identifiant</label>
<input name="login" id="login" autocomplete="username" required>
<button type="submit" id="sign-in">Se connecter</button>
</form>
</main>
</body></html>`;
}

function send(res, status, html, type = 'text/html; charset=utf-8') {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
  });
  res.end(html);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// The grant of everything the interaction asks for: ProConnect asks for no consent.
async function grantFor(details, accountId) {
  const clientId = details.params.client_id;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId });
  const prompt = details.prompt.details ?? {};
  grant.addOIDCScope(
    [...new Set([...String(details.params.scope ?? '').split(' '), ...(prompt.missingOIDCScope ?? [])])]
      .filter(Boolean)
      .join(' '),
  );
  if (prompt.missingOIDCClaims?.length) grant.addOIDCClaims(prompt.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(prompt.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    send(res, 400, page('Erreur', '<p id="error">interaction inconnue</p>'));
    return;
  }
  if (req.method === 'GET') {
    if (details.prompt.name === 'consent' && details.session?.accountId) {
      const grantId = await grantFor(details, details.session.accountId);
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    send(res, 200, loginPage(uid));
    return;
  }
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'GET, POST' });
    res.end();
    return;
  }
  const form = await readForm(req);
  const accountId = form.get('login')?.trim() ?? '';
  if (!accounts.has(accountId)) {
    send(res, 200, loginPage(uid, `Compte inconnu : ${accountId}`));
    return;
  }
  const grantId = await grantFor({ ...details, grantId: undefined }, accountId);
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId, acr: accounts.get(accountId).acr || 'eidas1', amr: ['pwd'] }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

const callback = provider.callback();
// What the browser tests cannot read from Chromium (redirects leave no trace in the page):
// the last authorization request received and the last redirect back to a client, at
// GET /test/last as JSON — so a test can replay a return, or alter a request, as an
// attacker between the browser and the relay would.
const last = { authorize: null, callback: null };
const redirects = new Set(config.client.redirect_uris);

const server = createServer((req, res) => {
  const url = req.url ?? '';
  if (url === '/test/last') {
    send(res, 200, JSON.stringify(last), 'application/json');
    return;
  }
  if (url.startsWith('/auth?')) last.authorize = `${issuer}${url}`;
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name, value) => {
    if (String(name).toLowerCase() === 'location' && [...redirects].some((r) => String(value).startsWith(`${r}?`))) {
      last.callback = String(value);
    }
    return setHeader(name, value);
  };
  const match = /^\/interaction\/([^/?]+)\/?(?:\?.*)?$/.exec(url);
  if (!match) {
    callback(req, res);
    return;
  }
  interaction(req, res, decodeURIComponent(match[1])).catch((error) => {
    console.error('interaction', error);
    if (!res.headersSent) send(res, 400, page('Erreur', `<p id="error">${escape(error.message)}</p>`));
    else res.end();
  });
});
server.listen(config.port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}

// Started by a test: end with it, even if it could not stop this process (it aborted).
if (config.exit_with_stdin) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
