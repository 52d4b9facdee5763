'use strict';

// The app as Zapier will load it: structurally valid (the check `zapier-platform
// validate` runs locally), one instant trigger per platform event, a search, an action, and
// the hidden trigger behind the action's Groups dropdown.

const assert = require('node:assert/strict');
const { test } = require('node:test');

const zapier = require('zapier-platform-core');

const App = require('..');

const PLATFORM_EVENTS = [
  'user.created',
  'user.activated',
  'user.updated',
  'user.deactivated',
  'user.reactivated',
  'user.role_changed',
  'email.bounced',
  'export.completed',
];

test('the app definition passes the platform schema validation', async () => {
  const handler = zapier.createAppHandler(App);
  const { results: problems } = await handler({ command: 'validate' });
  assert.deepEqual(problems, [], JSON.stringify(problems, null, 2));
});

test('there is one REST hook trigger per platform event, each with its four operations', () => {
  const triggers = Object.values(App.triggers).filter((trigger) => !trigger.display.hidden);
  assert.deepEqual(
    triggers.map((trigger) => trigger.operation.sample.event),
    PLATFORM_EVENTS,
  );
  for (const { key, operation } of triggers) {
    assert.equal(operation.type, 'hook', key);
    for (const step of ['performSubscribe', 'performUnsubscribe', 'perform', 'performList']) {
      assert.equal(typeof operation[step], 'function', `${key}.${step}`);
    }
  }
});

test('the only hidden trigger is the one a dropdown uses', () => {
  const hidden = Object.values(App.triggers).filter((trigger) => trigger.display.hidden);
  const dynamic = Object.values(App.creates)
    .flatMap(({ operation }) => operation.inputFields)
    .filter((field) => field.dynamic)
    .map((field) => field.dynamic.split('.')[0]);
  assert.deepEqual(
    hidden.map((trigger) => trigger.key),
    dynamic,
  );
});

test('every output field has an English label, and every sample field has an output field', () => {
  const operations = [
    ...Object.values(App.triggers),
    ...Object.values(App.searches),
    ...Object.values(App.creates),
  ].map(({ key, operation }) => ({ key, operation }));
  for (const { key, operation } of operations) {
    const labelled = new Set(operation.outputFields.map((field) => field.key));
    for (const field of operation.outputFields) {
      assert.match(field.label, /^[A-Z][A-Za-z ()]+$/, `${key}.${field.key}`);
    }
    assert.deepEqual(Object.keys(operation.sample).filter((k) => !labelled.has(k)), [], key);
  }
});
