'use strict';

// Talking to the platform: where it is (every install has its own address), the API key
// on each request, and the platform's errors (problem details) turned into messages a
// Zapier user can act on.

const NO_ADDRESS =
  "Enter your platform's address as you open it in a browser, e.g. https://learn.example.com";

// The platform's origin (scheme, host, port) from what the user typed in the connection:
// a bare host means https; a path, query or trailing slash is ignored (the API is at the
// root, behind the platform's gateway).
const platformOrigin = (z, bundle) => {
  const typed = String(bundle.authData.baseUrl || '').trim();
  if (!typed) {
    throw new z.errors.Error(NO_ADDRESS, 'InvalidBaseUrl', 400);
  }
  let url;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(typed) ? typed : `https://${typed}`);
  } catch {
    throw new z.errors.Error(
      `"${typed}" is not a web address. ${NO_ADDRESS}`,
      'InvalidBaseUrl',
      400,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new z.errors.Error(
      `"${typed}" is not an http(s) address. ${NO_ADDRESS}`,
      'InvalidBaseUrl',
      400,
    );
  }
  return url.origin;
};

const apiUrl = (z, bundle, path) => `${platformOrigin(z, bundle)}/api/v1${path}`;

// beforeRequest: the API key, sent only to the platform the connection names.
const includeApiKey = (request, z, bundle) => {
  const key = String(bundle.authData.apiKey || '').trim();
  let platform;
  try {
    platform = platformOrigin(z, bundle);
  } catch {
    return request; // the request itself will say what is wrong with the address
  }
  if (key && new URL(request.url).origin === platform) {
    request.headers['X-API-Key'] = key;
  }
  request.headers.Accept = 'application/json';
  return request;
};

// What the platform said, from its problem details (RFC 9457) when it sent some.
const problemText = (response) => {
  const problem = response.data && typeof response.data === 'object' ? response.data : {};
  const detail = typeof problem.detail === 'string' ? problem.detail : '';
  const fields = Array.isArray(problem.errors)
    ? problem.errors
        .map((error) => [error.field, error.message].filter(Boolean).join(': '))
        .filter((text) => text && !detail.includes(text))
    : [];
  return [detail, ...fields].filter(Boolean).join(' ');
};

// The error a failed response means, in words a Zapier user can act on.
const failure = (z, response) => {
  const { status } = response;
  const said = problemText(response);
  const where = new URL(response.request.url);
  const asked = `${response.request.method || 'GET'} ${where.pathname}`;
  if (status === 401) {
    const why = said ? ` (${said.replace(/\.$/, '')})` : '';
    return new z.errors.Error(
      `The platform refused the API key${why}. Check the key in this ` +
        'connection, or create a new one in the admin console (Integrations, API keys).',
      'AuthenticationError',
      status,
    );
  }
  if (!said && status >= 500) {
    return new z.errors.Error(
      `The platform at ${where.origin} failed to answer ${asked} (HTTP ${status}): ` +
        'try again in a moment.',
      'ServerError',
      status,
    );
  }
  if (!said) {
    // Not the platform's API answering (no problem details): most likely a wrong address.
    return new z.errors.Error(
      `${where.origin} answered HTTP ${status} to ${asked}: is it your platform's address?`,
      'UnexpectedResponse',
      status,
    );
  }
  return new z.errors.Error(
    `${said} (HTTP ${status})`,
    status >= 500 ? 'ServerError' : 'InvalidRequest',
    status,
  );
};

// afterResponse: every failure explained, unless the caller handles the status itself
// (skipThrowForStatus), as unsubscribing does with 404.
const explainFailures = (response, z) => {
  if (response.status >= 400 && !response.skipThrowForStatus) {
    throw failure(z, response);
  }
  return response;
};

// z.request, with a network failure (nothing listening, unknown host) said plainly.
const request = async (z, bundle, options) => {
  const { path, ...rest } = options;
  const url = apiUrl(z, bundle, path);
  try {
    return await z.request({ ...rest, url });
  } catch (error) {
    if (error.name === 'FetchError') {
      throw new z.errors.Error(
        `Could not reach the platform at ${platformOrigin(z, bundle)} (${error.message}). ` +
          "Check the platform's address in this connection.",
        'Unreachable',
        503,
      );
    }
    throw error;
  }
};

module.exports = { apiUrl, explainFailures, failure, includeApiKey, platformOrigin, request };
