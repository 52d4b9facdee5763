'use strict';

// The instant triggers as Zapier drives them: turning a Zap on subscribes its URL, the
// platform delivers each event there, the delivery becomes the trigger item; performList
// shows real recent payloads of the same shape; turning the Zap off unsubscribes.

const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const { after, before, test } = require('node:test');

const { App, HookReceiver, api, appTester, inviteUser, platform, saying } = require('./support');

const lms = platform();
const authData = { baseUrl: lms.baseUrl, apiKey: lms.apiKey };
const receiver = new HookReceiver();

before(() => receiver.start());
after(() => receiver.stop());

test('a Zap on "New User": subscribe, receive the delivery, list it, unsubscribe', async () => {
  const trigger = App.triggers.user_created.operation;
  const zapPath = `/hooks/standard/${randomUUID()}/`;
  const targetUrl = receiver.url(zapPath);

  const subscribeData = await appTester(trigger.performSubscribe, { authData, targetUrl });

  assert.equal(subscribeData.event, 'user.created');
  assert.equal(subscribeData.target_url, targetUrl);
  assert.equal(subscribeData.state, 'active');
  assert.match(subscribeData.secret, /^whsec_/);
  const listed = await api(lms, '/hooks');
  assert.ok(
    listed.body.some((hook) => hook.id === subscribeData.id && hook.target_url === targetUrl),
    'the new hook is in GET /api/v1/hooks',
  );

  const email = `zoe.gagnon.${randomUUID().slice(0, 8)}@example.com`;
  const user = await inviteUser(lms, email);
  const [hit] = await receiver.waitFor(zapPath);
  const payload = JSON.parse(hit.body);
  assert.equal(hit.headers['webhook-id'], payload.id);
  assert.equal(payload.event, 'user.created');
  assert.equal(payload.user_id, user.id);
  assert.equal(payload.email, email);

  const items = await appTester(trigger.perform, {
    authData,
    targetUrl,
    subscribeData,
    cleanedRequest: payload,
    rawRequest: { method: 'POST', headers: hit.headers, content: hit.body },
  });
  assert.deepEqual(items, [payload]);

  const recent = await appTester(trigger.performList, { authData });
  assert.deepEqual(recent[0], payload, 'performList: the latest delivery first, as delivered');

  const removed = await appTester(trigger.performUnsubscribe, { authData, subscribeData });
  assert.deepEqual(removed, { id: subscribeData.id, deleted: true });
  assert.ok(!(await api(lms, '/hooks')).body.some((hook) => hook.id === subscribeData.id));
  assert.equal((await api(lms, `/hooks/${subscribeData.id}`)).status, 404);

  // A hook the platform already deleted (Zapier answered 410 Gone) is not an error.
  const again = await appTester(trigger.performUnsubscribe, { authData, subscribeData });
  assert.deepEqual(again, { id: subscribeData.id, deleted: false });
});

test('performList of every REST hook trigger gives payloads of the tenant, in the shape the app labels', async () => {
  const hookTriggers = Object.entries(App.triggers).filter(([, t]) => !t.display.hidden);
  for (const [key, trigger] of hookTriggers) {
    const { event } = trigger.operation.sample;
    const recent = await appTester(trigger.operation.performList, { authData });

    assert.ok(recent.length >= 1, key);
    const labelled = trigger.operation.outputFields.map((field) => field.key);
    for (const item of recent) {
      assert.equal(item.event, event, key);
      assert.equal(item.tenant_id, lms.tenantId, key);
      assert.ok(item.id, key);
      assert.deepEqual(Object.keys(item), Object.keys(trigger.operation.sample), key);
      assert.deepEqual(Object.keys(item).sort(), [...labelled].sort(), key);
    }
  }
});

test('a subscription the platform refuses says why', async () => {
  const trigger = App.triggers.user_activated.operation;

  await assert.rejects(
    appTester(trigger.performSubscribe, { authData, targetUrl: 'ftp://example.com/hook' }),
    saying(/target_url.*\(HTTP 422\)/, 422),
  );
});

test('a Zap whose subscription was lost cannot be unsubscribed, and says so', async () => {
  const trigger = App.triggers.user_updated.operation;

  await assert.rejects(
    appTester(trigger.performUnsubscribe, { authData, subscribeData: {} }),
    saying(/no subscription id/),
  );
});
