'use strict';

// "Invite User": the platform creates the user (status invited) and emails them a link to
// choose a password, as if the administrator who created this connection's API key had
// used the admin console's invitation form. The answer is the new user, in the flat shape
// of the user events (the same fields as the "New User" trigger and the search).

const { invited, userFields, userSample } = require('../lib/payloads');
const { request } = require('../lib/platform');

const OPTIONAL = ['phone', 'locale', 'role'];

// The invitation as the platform takes it: unmapped optional fields (Zapier sends them as
// empty text) are left out, so the platform's defaults apply.
const invitation = (inputData) => {
  const text = (value) => String(value ?? '').trim();
  const body = {
    email: text(inputData.email),
    first_name: text(inputData.first_name),
    last_name: text(inputData.last_name),
  };
  for (const key of OPTIONAL) {
    if (text(inputData[key])) {
      body[key] = text(inputData[key]);
    }
  }
  const groups = [].concat(inputData.group_ids ?? []).map(text).filter(Boolean);
  if (groups.length) {
    body.group_ids = groups;
  }
  const fields = Object.entries(inputData.custom_fields ?? {}).filter(([key]) => text(key));
  if (fields.length) {
    body.custom_fields = Object.fromEntries(fields.map(([key, value]) => [text(key), value]));
  }
  return body;
};

const inviteUser = async (z, bundle) => {
  const dedupe = String(bundle.inputData.dedupe_id ?? '').trim();
  const response = await request(z, bundle, {
    method: 'POST',
    path: '/integrations/invitations',
    json: invitation(bundle.inputData),
    headers: dedupe ? { 'Idempotency-Key': dedupe } : {},
  });
  return response.data;
};

module.exports = {
  key: 'invite_user',
  noun: 'User',
  display: {
    label: 'Invite User',
    description:
      'Invites a user to the platform: the account is created at once and they receive an ' +
      'email with a link to choose their password.',
  },
  operation: {
    inputFields: [
      {
        key: 'email',
        label: 'Email',
        required: true,
        helpText: 'The address the invitation is sent to. It must not belong to a user yet.',
      },
      { key: 'first_name', label: 'First Name', required: true },
      { key: 'last_name', label: 'Last Name', required: true },
      {
        key: 'locale',
        label: 'Language',
        choices: { fr: 'French', en: 'English' },
        helpText: "The invitation's language and the user's; by default, the platform's.",
      },
      {
        key: 'role',
        label: 'Role',
        choices: [{ value: 'learner', label: 'Learner', sample: 'learner' }],
        helpText:
          'The platform\'s role for the user: Learner (the default). Never an administrative ' +
          'role: administrators are made in the admin console, not through an integration.',
      },
      { key: 'phone', label: 'Phone', helpText: 'Digits, spaces and + ( ) - . only.' },
      {
        key: 'group_ids',
        label: 'Groups',
        list: true,
        dynamic: 'groups.id.name',
        helpText:
          "The platform's groups to add the user to, chosen by name (or mapped as group IDs).",
      },
      {
        key: 'custom_fields',
        label: 'Custom Fields',
        dict: true,
        helpText:
          "Values by the custom field's key (as the admin console shows it): numbers as " +
          'digits, dates as YYYY-MM-DD, yes/no fields as yes or no, choices as one of theirs.',
      },
      {
        key: 'dedupe_id',
        label: 'Deduplication ID',
        helpText:
          'Optional: a value unique to what triggered this Zap (e.g. the form entry ID). If ' +
          'the Zap runs again for it (a replay), no second invitation is made: this step ' +
          'returns the user invited the first time. Never a value shared by several users ' +
          '(such as the Zap ID): the second would be refused.',
      },
    ],
    perform: inviteUser,
    outputFields: userFields,
    // As the platform answers at once: the invitation email is not sent yet.
    sample: userSample('user.created', {
      ...invited,
      invitation_state: 'pending',
      invitation_sent_at: null,
      invitation_expires_at: null,
      email_delivered_at: null,
    }),
  },
};
