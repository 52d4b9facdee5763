'use strict';

// An API key, and the platform's address: every platform has its own domain.

const { failure, request } = require('./lib/platform');

// GET /api/v1/me: who the key belongs to; refused (401) for an unknown or revoked key.
const whoAmI = async (z, bundle) => {
  const response = await request(z, bundle, { path: '/me', skipThrowForStatus: true });
  if (response.status === 404) {
    // Every platform answers /api/v1/me: whatever answered 404 is something else.
    throw new z.errors.Error(
      `${new URL(response.request.url).origin} has no /api/v1/me (HTTP 404): ` +
        "is it your platform's address?",
      'WrongAddress',
      404,
    );
  }
  if (response.status >= 400) {
    throw failure(z, response);
  }
  return response.data; // {tenant_id, key_id, key_name, key_prefix, label}
};

// Zapier passes the test's result as bundle.inputData.
const connectionLabel = (z, bundle) => bundle.inputData.label;

module.exports = {
  type: 'custom',
  fields: [
    {
      key: 'baseUrl',
      label: 'Platform Address',
      type: 'string',
      required: true,
      isNoSecret: true,
      placeholder: 'https://learn.example.com',
      helpText: 'The address of your learning platform, as you open it in a browser.',
    },
    {
      key: 'apiKey',
      label: 'API Key',
      type: 'password',
      required: true,
      helpText:
        "An administrator creates one in the platform's admin console, under " +
        '**Integrations** > **API keys** (it is shown once, and starts with `lms_live_`).',
    },
  ],
  test: whoAmI,
  connectionLabel,
};
