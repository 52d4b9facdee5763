'use strict';

// "Invite User" against the platform: the user is created (status invited) by the
// directory, acting as the administrator who created the API key.

const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const { test } = require('node:test');

const { App, appTester, platform, saying } = require('./support');

// A custom field of the tenant, defined as its administrator would (directory API).
const defineField = async (lms, type) => {
  const key = `zap_${randomUUID().slice(0, 8)}`;
  const response = await fetch(`${lms.directoryUrl}/api/v1/custom-fields`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${lms.adminToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ key, label: 'Employee number', type }),
  });
  assert.equal(response.status, 201, await response.text());
  return key;
};

const lms = platform();
const authData = { baseUrl: lms.baseUrl, apiKey: lms.apiKey };
const action = App.creates.invite_user.operation;

const newAddress = () => `zap-${randomUUID().slice(0, 8)}@example.com`;
const invite = (inputData, keys = authData) =>
  appTester(action.perform, { authData: keys, inputData });

test('invites a user, who is on the platform at once, in the labelled shape', async () => {
  const email = newAddress();

  const user = await appTester(action.perform, {
    authData,
    inputData: {
      email: ` ${email} `,
      first_name: 'Noémie',
      last_name: 'Pelletier',
      locale: 'en',
      role: '',
      phone: '',
      dedupe_id: '',
    },
  });

  assert.equal(user.email, email);
  assert.equal(user.full_name, 'Noémie Pelletier');
  assert.equal(user.status, 'invited');
  assert.equal(user.role, 'learner');
  assert.equal(user.locale, 'en');
  assert.equal(user.tenant_id, lms.tenantId);
  assert.deepEqual(
    Object.keys(user).sort(),
    action.outputFields.map((field) => field.key).sort(),
  );
});

test('custom field values typed in the Zap editor are stored as their fields expect', async () => {
  const number = await defineField(lms, 'number');

  const user = await invite({
    email: newAddress(),
    first_name: 'Noémie',
    last_name: 'Pelletier',
    custom_fields: { [number]: '10482' },
  });

  assert.deepEqual(user.custom_fields, { [number]: 10482 });
});

test('a custom field value its field refuses is refused, saying which', async () => {
  const number = await defineField(lms, 'number');

  await assert.rejects(
    invite({
      email: newAddress(),
      first_name: 'Noémie',
      last_name: 'Pelletier',
      custom_fields: { [number]: 'many' },
    }),
    saying(new RegExp(`${number}.*expected a number.*\\(HTTP 422\\)`), 422),
  );
});

test('a replayed Zap run with the same deduplication ID invites once', async () => {
  const inputData = {
    email: newAddress(),
    first_name: 'Noémie',
    last_name: 'Pelletier',
    dedupe_id: `entry-${randomUUID()}`,
  };

  const first = await invite(inputData);
  const again = await invite(inputData);

  assert.equal(again.user_id, first.user_id);
});

test('an address that already has a user is refused, saying so', async () => {
  await assert.rejects(
    invite({ email: lms.knownUser.email, first_name: 'Léa', last_name: 'Fortin' }),
    saying(/already exists.*\(HTTP 409\)/, 409),
  );
});

test('something that is not an address is refused, saying which field', async () => {
  await assert.rejects(
    invite({ email: 'not-an-address', first_name: 'Léa', last_name: 'Fortin' }),
    saying(/email.*\(HTTP 422\)/, 422),
  );
});

test('a revoked API key invites no one', async () => {
  await assert.rejects(
    invite(
      { email: newAddress(), first_name: 'Léa', last_name: 'Fortin' },
      { baseUrl: lms.baseUrl, apiKey: lms.revokedApiKey },
    ),
    saying(/refused the API key/, 401),
  );
});
