// A real OpenID provider (the certified `oidc-provider` package) for the single sign-on tests.
// It listens on loopback, prints "READY <port>" once it serves, and knows a few people:
// `devInteractions` shows a login form (the login name picks the person, any password) and a
// consent form. Environment: PORT (0: any free port), ISSUER_HOST (default 127.0.0.1),
// CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS (space-separated).
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 0);
const host = process.env.ISSUER_HOST || '127.0.0.1';

// Login name -> claims. `disabled`: the provider's administrator disabled the person after
// they signed in there; the provider then refuses to issue tokens for them.
const people = {
  admin: { email: 'admin@northwind.example', email_verified: true, name: 'Nora Admin' },
  viewer: { email: 'viewer@northwind.example', email_verified: true },
  unverified: { email: 'initiator@northwind.example', email_verified: false },
  outside: { email: 'admin@contoso.example', email_verified: true },
  stranger: { email: 'stranger@northwind.example', email_verified: true },
  disabled: { email: 'approver@northwind.example', email_verified: true, disabled: true },
};

async function findAccount(ctx, id, token) {
  const person = people[id];
  if (!person) return undefined;
  // Tokens are issued only to people still enabled (the code exchange passes `token`).
  if (person.disabled && token) return undefined;
  const { disabled, ...claims } = person;
  return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
}

function start(issuerPort) {
  const issuer = `http://${host}:${issuerPort}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: process.env.CLIENT_ID || 'portal',
        client_secret: process.env.CLIENT_SECRET || 'portal-secret',
        redirect_uris: (process.env.REDIRECT_URIS || 'http://localhost/callback').split(' '),
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['test-only-cookie-key'] },
  });
  provider.proxy = false;
  return provider;
}

// The issuer holds the port, so the port is chosen first when PORT=0.
import net from 'node:net';

async function freePort() {
  if (port) return port;
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1', () => {
      const chosen = probe.address().port;
      probe.close(() => resolve(chosen));
    });
  });
}

const chosen = await freePort();
const server = start(chosen).listen(chosen, '127.0.0.1', () => {
  console.log(`READY ${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
