'use strict';

// "Group" (hidden): not a trigger a Zap starts from, but the list behind the Invite User
// action's Groups dropdown (`dynamic: 'groups.id.name'`): the connection's platform's
// groups, by name, a page at a time. The platform pages with a cursor, which Zapier keeps
// between the pages it asks for (z.cursor, since the trigger says canPaginate).

const { request } = require('../lib/platform');

const PAGE_SIZE = 100;

const listGroups = async (z, bundle) => {
  const params = { limit: PAGE_SIZE };
  if (bundle.meta && bundle.meta.page > 0) {
    const cursor = await z.cursor.get();
    if (!cursor) {
      return []; // the previous page was the last
    }
    params.cursor = cursor;
  }
  const response = await request(z, bundle, { path: '/integrations/groups', params });
  await z.cursor.set(response.data.next_cursor || '');
  return response.data.items;
};

module.exports = {
  key: 'groups',
  noun: 'Group',
  display: {
    label: 'New Group',
    description: "Lists the platform's groups, for the Groups field of Invite User.",
    hidden: true,
  },
  operation: {
    type: 'polling',
    canPaginate: true,
    perform: listGroups,
    outputFields: [
      { key: 'id', label: 'Group ID' },
      { key: 'name', label: 'Name' },
    ],
    sample: { id: '3f1c2b7e-5a4d-4e8f-9b6a-0c2d1e3f4a5b', name: 'Cohort 7' },
  },
};
