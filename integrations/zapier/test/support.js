'use strict';

// What the tests run against: the real platform services the pytest test
// tests/e2e/test_zapier_app.py starts (directory and webhooks) and describes in
// LMS_* variables; the app under Zapier's own app tester; and a receiver standing in for
// Zapier's hook URLs (hooks.zapier.com).

const assert = require('node:assert/strict');
const http = require('node:http');

const zapier = require('zapier-platform-core');

const App = require('..');

// What each LMS_* variable is (the pytest test sets them all).
const NEEDED = {
  LMS_BASE_URL: 'the webhooks service, as the platform address of a connection',
  LMS_API_KEY: 'an API key of the test tenant',
  LMS_REVOKED_API_KEY: 'a key of the same tenant, revoked',
  LMS_TENANT_ID: 'the tenant of those keys',
  LMS_DIRECTORY_URL: 'the directory service',
  LMS_ADMIN_TOKEN: "an access token of the tenant's administrator",
  LMS_KNOWN_USER_EMAIL: 'the e-mail of a user the webhooks service has seen',
  LMS_KNOWN_USER_ID: "that user's id",
};

const platform = () => {
  const missing = Object.keys(NEEDED).filter((name) => !process.env[name]);
  if (missing.length) {
    throw new Error(
      `These tests need the platform's services running; ${missing.join(', ')} ` +
        '(test/support.js says what each is) are not set. Run them from the repository ' +
        'root with: uv run pytest tests/e2e/test_zapier_app.py (it starts the services).',
    );
  }
  const env = process.env;
  return {
    baseUrl: env.LMS_BASE_URL,
    apiKey: env.LMS_API_KEY,
    revokedApiKey: env.LMS_REVOKED_API_KEY,
    tenantId: env.LMS_TENANT_ID,
    directoryUrl: env.LMS_DIRECTORY_URL,
    adminToken: env.LMS_ADMIN_TOKEN,
    knownUser: { email: env.LMS_KNOWN_USER_EMAIL, id: env.LMS_KNOWN_USER_ID },
  };
};

const appTester = zapier.createAppTester(App);

// The platform's API as any client sees it (not through the app): to check what the app did.
const api = async (lms, path, options = {}) => {
  const response = await fetch(`${lms.baseUrl}/api/v1${path}`, {
    ...options,
    headers: { 'X-API-Key': lms.apiKey, ...(options.headers || {}) },
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
};

// Something happens on the platform: its administrator invites a user (user.created).
const inviteUser = async (lms, email) => {
  const response = await fetch(`${lms.directoryUrl}/api/v1/users/invitations`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${lms.adminToken}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ email, first_name: 'Zoé', last_name: 'Gagnon', locale: 'fr' }),
  });
  const body = await response.json();
  if (response.status !== 201) {
    throw new Error(`inviting ${email}: HTTP ${response.status} ${JSON.stringify(body)}`);
  }
  return body;
};

// Stands in for Zapier's hook URLs: keeps every POST, answers 200.
class HookReceiver {
  constructor() {
    this.hits = [];
    this.waiters = [];
    this.server = http.createServer((request, response) => {
      const chunks = [];
      request.on('data', (chunk) => chunks.push(chunk));
      request.on('end', () => {
        this.hits.push({
          path: request.url,
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end('{"status": "success"}');
        const waiting = this.waiters;
        this.waiters = [];
        waiting.forEach((wake) => wake());
      });
    });
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  url(path) {
    return `http://127.0.0.1:${this.server.address().port}${path}`;
  }

  async waitFor(path, within = 20_000) {
    const found = () => this.hits.filter((hit) => hit.path === path);
    const deadline = Date.now() + within;
    while (found().length === 0) {
      if (Date.now() > deadline) {
        throw new Error(`nothing was delivered to ${path} within ${within} ms`);
      }
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return found();
  }

  async stop() {
    await new Promise((resolve) => this.server.close(resolve));
  }
}

// Stands in for Zapier's RPC server where a paging trigger keeps its cursor between the
// pages Zapier asks for (z.cursor.get/set): the app tester itself has no cursor store.
class CursorStore {
  constructor() {
    this.cursors = {};
    this.server = http.createServer((request, response) => {
      const chunks = [];
      request.on('data', (chunk) => chunks.push(chunk));
      request.on('end', () => {
        const { id, storeKey, method, params } = JSON.parse(Buffer.concat(chunks).toString());
        let result = null;
        if (method === 'get_cursor') {
          result = this.cursors[storeKey] ?? null;
        } else if (method === 'set_cursor') {
          this.cursors[storeKey] = params[0];
        }
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ id, result }));
      });
    });
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop() {
    await new Promise((resolve) => this.server.close(resolve));
  }

  // Runs `method` (e.g. 'triggers.groups.operation.perform') for page `page` of a dropdown,
  // as Zapier does when the user scrolls for more: the same store key for every page.
  async page(method, bundle, page, storeKey) {
    const { port } = this.server.address();
    // The RPC client needs a credential: a deploy key, not an invocation token, which
    // would also send the app's logs to Zapier's log server.
    process.env.ZAPIER_DEPLOY_KEY ??= 'cursor-store-stand-in';
    const response = await zapier.createAppHandler(App)({
      command: 'execute',
      method,
      bundle: { ...bundle, meta: { ...(bundle.meta || {}), page } },
      storeKey,
      rpc_base: `http://127.0.0.1:${port}/rpc`,
    });
    return response.results;
  }
}

// For assert.rejects: an error the app raised for the Zapier user (z.errors.Error carries
// {message, code, status} as JSON) whose message matches `pattern`.
const saying = (pattern, status) => (error) => {
  assert.equal(error.name, 'AppError', error.stack);
  const said = JSON.parse(error.message);
  assert.match(said.message, pattern);
  if (status !== undefined) {
    assert.equal(said.status, status, said.message);
  }
  return true;
};

module.exports = {
  App,
  CursorStore,
  HookReceiver,
  api,
  appTester,
  inviteUser,
  platform,
  saying,
};
