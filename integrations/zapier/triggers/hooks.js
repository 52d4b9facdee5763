'use strict';

// One REST hook trigger per platform event. Turning a Zap on subscribes its unique
// Zapier URL to the event (POST /api/v1/hooks); turning it off deletes the subscription;
// each delivery the platform POSTs to that URL is one trigger item.

const { EVENTS } = require('../lib/payloads');
const { failure, request } = require('../lib/platform');

// "user.role_changed" -> "user_role_changed" (Zapier keys are letters, digits, _).
const triggerKey = (event) => event.replace(/[^a-z0-9]+/gi, '_');

const subscribe = (event) => async (z, bundle) => {
  const response = await request(z, bundle, {
    method: 'POST',
    path: '/hooks',
    body: { target_url: bundle.targetUrl, event },
  });
  return response.data; // Zapier keeps it as bundle.subscribeData: {id, secret, ...}
};

const unsubscribe = async (z, bundle) => {
  const { id } = bundle.subscribeData || {};
  if (!id) {
    throw new z.errors.Error(
      'This Zap has no subscription id to delete: turn it on again to subscribe anew.',
      'MissingSubscription',
      400,
    );
  }
  const response = await request(z, bundle, {
    method: 'DELETE',
    path: `/hooks/${encodeURIComponent(id)}`,
    skipThrowForStatus: true,
  });
  // 404: already gone, e.g. deleted by the platform when Zapier answered 410 Gone.
  if (response.status >= 400 && response.status !== 404) {
    throw failure(z, response);
  }
  return { id, deleted: response.status !== 404 };
};

// The platform POSTs one flat object per event; a list is taken item by item.
const delivered = async (z, bundle) => {
  const body = bundle.cleanedRequest;
  return Array.isArray(body) ? body : [body];
};

const recentPayloads = (event) => async (z, bundle) => {
  const response = await request(z, bundle, {
    path: `/hooks/samples/${encodeURIComponent(event)}`,
  });
  return response.data; // newest first, in the delivered shape
};

const hookTrigger = ({ event, noun, label, description, fields, sample }) => ({
  key: triggerKey(event),
  noun,
  display: { label, description },
  operation: {
    type: 'hook',
    performSubscribe: subscribe(event),
    performUnsubscribe: unsubscribe,
    perform: delivered,
    performList: recentPayloads(event),
    outputFields: fields,
    sample,
  },
});

const triggers = EVENTS.map(hookTrigger);

module.exports = { triggerKey, triggers };
