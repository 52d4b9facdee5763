'use strict';

// Connecting an account: the connection test (GET /api/v1/me) and its label, and the
// refusals a user can meet, each saying what to fix.

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { App, appTester, platform, saying } = require('./support');

const lms = platform();
const authData = { baseUrl: lms.baseUrl, apiKey: lms.apiKey };

test('the connection test answers who the key belongs to, and names the connection', async () => {
  const me = await appTester(App.authentication.test, { authData });

  assert.equal(me.tenant_id, lms.tenantId);
  assert.ok(lms.apiKey.startsWith(me.key_prefix), `${lms.apiKey} starts with ${me.key_prefix}`);
  const label = await appTester(App.authentication.connectionLabel, {
    authData,
    inputData: me,
  });
  assert.equal(label, me.label);
  assert.ok(label.includes(me.key_name) && label.includes(me.key_prefix), label);
});

test('the platform address may be typed with a trailing slash or a path', async () => {
  const me = await appTester(App.authentication.test, {
    authData: { ...authData, baseUrl: `${lms.baseUrl}/admin/` },
  });

  assert.equal(me.tenant_id, lms.tenantId);
});

test('a key the platform does not know is refused, saying to check the key', async () => {
  const made_up = `${lms.apiKey.slice(0, 9)}not-a-real-key-0123456789`;

  await assert.rejects(
    appTester(App.authentication.test, { authData: { ...authData, apiKey: made_up } }),
    saying(/refused the API key.*Check the key/, 401),
  );
});

test('a revoked key is refused', async () => {
  await assert.rejects(
    appTester(App.authentication.test, {
      authData: { ...authData, apiKey: lms.revokedApiKey },
    }),
    saying(/refused the API key/, 401),
  );
});

test('an address where nothing answers says it could not reach the platform', async () => {
  await assert.rejects(
    appTester(App.authentication.test, {
      authData: { ...authData, baseUrl: 'http://127.0.0.1:9' },
    }),
    saying(/Could not reach the platform at http:\/\/127\.0\.0\.1:9/),
  );
});

test('an address that is not the platform says so', async () => {
  // The directory is a service of the platform, but not the one answering /api/v1/me.
  await assert.rejects(
    appTester(App.authentication.test, {
      authData: { ...authData, baseUrl: lms.directoryUrl },
    }),
    saying(/^http:\/\/127\.0\.0\.1:\d+ has no \/api\/v1\/me \(HTTP 404\): is it your platform's address\?$/, 404),
  );
});

test('something that is not a web address is refused before any request', async () => {
  await assert.rejects(
    appTester(App.authentication.test, { authData: { ...authData, baseUrl: 'ftp://files' } }),
    saying(/"ftp:\/\/files" is not an http\(s\) address/, 400),
  );
  await assert.rejects(
    appTester(App.authentication.test, { authData: { ...authData, baseUrl: 'http://' } }),
    saying(/"http:\/\/" is not a web address/, 400),
  );
});
