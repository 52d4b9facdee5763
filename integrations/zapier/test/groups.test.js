'use strict';

// The Invite User action's Groups dropdown: the hidden "groups" trigger lists the
// platform's groups by name, page after page as Zapier asks for them, and the action
// invites into the groups picked.

const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const { after, before, test } = require('node:test');

const { App, CursorStore, appTester, platform, saying } = require('./support');

const lms = platform();
const authData = { baseUrl: lms.baseUrl, apiKey: lms.apiKey };
const GROUPS = 'triggers.groups.operation.perform';
const trigger = App.triggers.groups;

// A group of the tenant, made by its administrator in the directory.
const createGroup = async (name) => {
  const response = await fetch(`${lms.directoryUrl}/api/v1/groups`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${lms.adminToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const body = await response.json();
  assert.equal(response.status, 201, JSON.stringify(body));
  return body;
};

let store;
before(async () => {
  store = await new CursorStore().start();
});
after(async () => {
  await store.stop();
});

test('the Groups field is a dropdown of the hidden groups trigger, by id and name', () => {
  const field = App.creates.invite_user.operation.inputFields.find((f) => f.key === 'group_ids');
  assert.equal(field.dynamic, 'groups.id.name');
  assert.equal(field.list, true);
  assert.equal(trigger.noun, 'Group');
  assert.equal(trigger.display.hidden, true);
  assert.equal(trigger.operation.canPaginate, true);
  const [triggerKey, value, label] = field.dynamic.split('.');
  assert.equal(App.triggers[triggerKey], trigger);
  assert.deepEqual(Object.keys(trigger.operation.sample), [value, label]);
});

test("the trigger lists the platform's groups by name, page after page", async () => {
  // More than a page of the app's (100): the second page comes from the first's cursor.
  const prefix = `zap-${randomUUID().slice(0, 8)}`;
  const names = Array.from({ length: 101 }, (_, i) => `${prefix} ${String(i).padStart(3, '0')}`);
  const created = [];
  for (const name of names) {
    created.push(await createGroup(name));
  }
  const storeKey = `groups-${randomUUID()}`;

  const pages = [];
  for (let page = 0; page < 10; page += 1) {
    const items = await store.page(GROUPS, { authData, inputData: {} }, page, storeKey);
    pages.push(items);
    if (items.length === 0) {
      break;
    }
  }

  assert.deepEqual(
    pages.map((items) => items.length).slice(-1),
    [0],
    'an empty page once the groups are all listed',
  );
  const listed = pages.flat();
  const ours = listed.filter((group) => group.name.startsWith(prefix));
  assert.deepEqual(
    ours,
    created.map(({ id, name }) => ({ id, name })),
  );
  assert.equal(new Set(listed.map((g) => g.id)).size, listed.length, 'none twice');
  assert.equal(pages[0].length, 100, 'a full first page');
});

test('a group picked in the dropdown is the one the user is invited into', async () => {
  const group = await createGroup(`zap-picked-${randomUUID().slice(0, 8)}`);

  const user = await appTester(App.creates.invite_user.operation.perform, {
    authData,
    inputData: {
      email: `zap-${randomUUID().slice(0, 8)}@example.com`,
      first_name: 'Noémie',
      last_name: 'Pelletier',
      role: 'learner',
      group_ids: [group.id],
    },
  });

  assert.deepEqual(user.groups, [group.name]);
  assert.equal(user.role, 'learner');
});

test('a revoked API key lists no groups', async () => {
  await assert.rejects(
    store.page(
      GROUPS,
      { authData: { baseUrl: lms.baseUrl, apiKey: lms.revokedApiKey }, inputData: {} },
      0,
      `groups-${randomUUID()}`,
    ),
    saying(/refused the API key/, 401),
  );
});
