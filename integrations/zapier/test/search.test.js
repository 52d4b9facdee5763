'use strict';

// "Find User by Email" against the platform's users.

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { App, appTester, platform, saying } = require('./support');

const lms = platform();
const authData = { baseUrl: lms.baseUrl, apiKey: lms.apiKey };
const search = App.searches.find_user.operation;

test('finds a user of the platform by e-mail, whatever its case, in the labelled shape', async () => {
  const email = lms.knownUser.email.toUpperCase();

  const found = await appTester(search.perform, { authData, inputData: { email: ` ${email} ` } });

  assert.equal(found.length, 1);
  const [user] = found;
  assert.equal(user.user_id, lms.knownUser.id);
  assert.equal(user.email, lms.knownUser.email);
  assert.equal(user.tenant_id, lms.tenantId);
  assert.deepEqual(
    Object.keys(user).sort(),
    search.outputFields.map((field) => field.key).sort(),
  );
});

test('an address no user has finds nothing', async () => {
  const found = await appTester(search.perform, {
    authData,
    inputData: { email: 'nobody.here@example.com' },
  });

  assert.deepEqual(found, []);
});

test('something too short to be an address is refused, saying which field', async () => {
  await assert.rejects(
    appTester(search.perform, { authData, inputData: { email: 'ab' } }),
    saying(/email.*\(HTTP 422\)/, 422),
  );
});
