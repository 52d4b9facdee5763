'use strict';

const zapier = require('zapier-platform-core');

const authentication = require('./authentication');
const inviteUser = require('./creates/invite_user');
const findUser = require('./searches/find_user');
const { explainFailures, includeApiKey } = require('./lib/platform');
const groups = require('./triggers/groups');
const { triggers } = require('./triggers/hooks');

module.exports = {
  version: require('./package.json').version,
  platformVersion: zapier.version,
  authentication,
  beforeRequest: [includeApiKey],
  afterResponse: [explainFailures],
  triggers: Object.fromEntries([...triggers, groups].map((trigger) => [trigger.key, trigger])),
  searches: { [findUser.key]: findUser },
  creates: { [inviteUser.key]: inviteUser },
};
