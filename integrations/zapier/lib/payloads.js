'use strict';

// The payloads the platform delivers: one flat object per event, the same shape in a
// delivery, in the samples (performList) and in the user search. Labels for the Zap
// editor, and a sample per event for when Zapier can't fetch one.

const head = [
  { key: 'id', label: 'Event ID' },
  { key: 'event', label: 'Event' },
  { key: 'occurred_at', label: 'Occurred At', type: 'datetime' },
  { key: 'tenant_id', label: 'Platform ID' },
];

const userFields = [
  ...head,
  { key: 'user_id', label: 'User ID' },
  { key: 'email', label: 'Email' },
  { key: 'first_name', label: 'First Name' },
  { key: 'last_name', label: 'Last Name' },
  { key: 'full_name', label: 'Full Name' },
  { key: 'phone', label: 'Phone' },
  { key: 'locale', label: 'Language' },
  { key: 'role', label: 'Role' },
  { key: 'status', label: 'Status' },
  { key: 'groups', label: 'Groups', list: true },
  { key: 'custom_fields', label: 'Custom Fields' },
  { key: 'invitation_state', label: 'Invitation State' },
  { key: 'invitation_sent_at', label: 'Invitation Sent At', type: 'datetime' },
  { key: 'invitation_expires_at', label: 'Invitation Expires At', type: 'datetime' },
  { key: 'invitation_accepted_at', label: 'Invitation Accepted At', type: 'datetime' },
  { key: 'email_state', label: 'Email State' },
  { key: 'email_bounce_kind', label: 'Email Bounce Kind' },
  { key: 'email_state_reason', label: 'Email State Reason' },
  { key: 'email_delivered_at', label: 'Email Last Delivered At', type: 'datetime' },
  { key: 'activated_at', label: 'Activated At', type: 'datetime' },
  { key: 'deactivated_at', label: 'Deactivated At', type: 'datetime' },
  { key: 'last_login_at', label: 'Last Login At', type: 'datetime' },
  { key: 'created_at', label: 'Created At', type: 'datetime' },
  { key: 'updated_at', label: 'Updated At', type: 'datetime' },
  { key: 'version', label: 'Version', type: 'integer' },
];

const bounceFields = [
  ...head,
  { key: 'email', label: 'Email' },
  { key: 'user_id', label: 'User ID' },
  { key: 'bounce_kind', label: 'Bounce Kind' },
  { key: 'reason', label: 'Reason' },
  { key: 'provider', label: 'Email Provider' },
  { key: 'message_id', label: 'Message ID' },
  { key: 'bounced_at', label: 'Bounced At', type: 'datetime' },
];

const exportFields = [
  ...head,
  { key: 'export_id', label: 'Export ID' },
  { key: 'requested_by', label: 'Requested By (User ID)' },
  { key: 'format', label: 'Format' },
  { key: 'row_count', label: 'Rows', type: 'integer' },
  { key: 'completed_at', label: 'Completed At', type: 'datetime' },
];

const SAMPLE_TENANT = 'a1e4c3d2-7b5f-4e8a-9c0d-2f6b8e1a3c57';
const SAMPLE_USER = '9beca5b2-3f1d-4c6e-8a2b-5d7f9e0c1a34';

const userSample = (event, changes = {}) => ({
  id: '3f0c8f5e-2a7b-4d1c-9e6f-8b5a4c3d2e1f',
  event,
  occurred_at: '2025-09-15T16:05:42Z',
  tenant_id: SAMPLE_TENANT,
  user_id: SAMPLE_USER,
  email: 'camille.tremblay@example.com',
  first_name: 'Camille',
  last_name: 'Tremblay',
  full_name: 'Camille Tremblay',
  phone: '+1 514 555 0142',
  locale: 'fr',
  role: 'learner',
  status: 'active',
  groups: ['Fall 2025 cohort'],
  custom_fields: { employee_number: 'E-10482', department: 'Sales' },
  invitation_state: 'accepted',
  invitation_sent_at: '2025-09-02T13:30:04Z',
  invitation_expires_at: '2025-09-09T13:30:00Z',
  invitation_accepted_at: '2025-09-02T15:44:00Z',
  email_state: 'ok',
  email_bounce_kind: null,
  email_state_reason: null,
  email_delivered_at: '2025-09-02T13:30:09Z',
  activated_at: '2025-09-02T15:44:00Z',
  deactivated_at: null,
  last_login_at: '2025-09-14T16:05:42Z',
  created_at: '2025-09-02T13:30:00Z',
  updated_at: '2025-09-15T16:05:42Z',
  version: 6,
  ...changes,
});

const invited = {
  occurred_at: '2025-09-02T13:30:00Z',
  status: 'invited',
  invitation_state: 'sent',
  invitation_accepted_at: null,
  activated_at: null,
  last_login_at: null,
  updated_at: '2025-09-02T13:30:00Z',
  version: 1,
};

const bounceSample = {
  id: '5b8e2d4f-1c3a-4e6b-9d7f-0a2c4e6b8d1f',
  event: 'email.bounced',
  occurred_at: '2025-09-15T16:05:42Z',
  tenant_id: SAMPLE_TENANT,
  email: 'camille.tremblay@example.com',
  user_id: SAMPLE_USER,
  bounce_kind: 'hard',
  reason: '550 5.1.1 The email account that you tried to reach does not exist.',
  provider: 'sendgrid',
  message_id: '<invitation.7f3a@mail.example.com>',
  bounced_at: '2025-09-15T16:05:42Z',
};

const exportSample = {
  id: '7d1f3b5a-9c2e-4a6d-8f0b-1e3c5a7d9f2b',
  event: 'export.completed',
  occurred_at: '2025-09-15T16:05:42Z',
  tenant_id: SAMPLE_TENANT,
  export_id: 'c2a4e6f8-0b1d-4f3a-8c5e-7a9b1d3f5e60',
  requested_by: '4e6a8c0e-2d4f-4b6a-9e8c-0f2a4c6e8b1d',
  format: 'xlsx',
  row_count: 1284,
  completed_at: '2025-09-15T16:05:42Z',
};

// Every event a Zap can start from, as the platform names it (POST /api/v1/hooks).
const EVENTS = [
  {
    event: 'user.created',
    noun: 'User',
    label: 'New User',
    description: 'Triggers when a new user is added to the platform (an administrator invites them).',
    fields: userFields,
    sample: userSample('user.created', invited),
  },
  {
    event: 'user.activated',
    noun: 'User',
    label: 'User Activated',
    description: 'Triggers when a user activates their account by accepting their invitation.',
    fields: userFields,
    sample: userSample('user.activated'),
  },
  {
    event: 'user.updated',
    noun: 'User',
    label: 'Updated User',
    description:
      "Triggers when anything about a user changes: profile, role, groups, custom fields, invitation or email state.",
    fields: userFields,
    sample: userSample('user.updated'),
  },
  {
    event: 'user.deactivated',
    noun: 'User',
    label: 'User Deactivated',
    description: 'Triggers when a user is deactivated (they can no longer log in).',
    fields: userFields,
    sample: userSample('user.deactivated', {
      status: 'deactivated',
      deactivated_at: '2025-09-15T16:05:42Z',
    }),
  },
  {
    event: 'user.reactivated',
    noun: 'User',
    label: 'User Reactivated',
    description: 'Triggers when a deactivated user is made active again.',
    fields: userFields,
    sample: userSample('user.reactivated'),
  },
  {
    event: 'user.role_changed',
    noun: 'User',
    label: 'User Role Changed',
    description: "Triggers when a user's role changes (the previous role comes with it).",
    fields: [...userFields, { key: 'previous_role', label: 'Previous Role' }],
    sample: userSample('user.role_changed', { role: 'instructor', previous_role: 'learner' }),
  },
  {
    event: 'email.bounced',
    noun: 'Bounce',
    label: 'Email Bounced',
    description: "Triggers when an email to a user bounces (their mail server didn't accept it).",
    fields: bounceFields,
    sample: bounceSample,
  },
  {
    event: 'export.completed',
    noun: 'Export',
    label: 'Export Completed',
    description: 'Triggers when a CSV or Excel export of users is ready.',
    fields: exportFields,
    sample: exportSample,
  },
];

module.exports = { EVENTS, invited, userFields, userSample };
