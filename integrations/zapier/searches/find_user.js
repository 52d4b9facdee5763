'use strict';

// "Find User by Email": the user with that address (any case), in the flat shape of the
// user events, from the latest event the platform sent about them; none: an empty list.

const { userFields, userSample } = require('../lib/payloads');
const { request } = require('../lib/platform');

const findUser = async (z, bundle) => {
  const response = await request(z, bundle, {
    path: '/integrations/users',
    params: { email: String(bundle.inputData.email || '').trim() },
  });
  return response.data;
};

module.exports = {
  key: 'find_user',
  noun: 'User',
  display: {
    label: 'Find User by Email',
    description: 'Finds a user of the platform by their email address.',
  },
  operation: {
    inputFields: [
      {
        key: 'email',
        label: 'Email',
        required: true,
        helpText: "The user's email address (upper or lower case does not matter).",
      },
    ],
    perform: findUser,
    outputFields: userFields,
    sample: userSample('user.updated'),
  },
};
