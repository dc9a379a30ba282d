import type { AnyCommand } from '../cli/command.js';
import Audit from './audit.js';
import CacheClear from './cache/clear.js';
import ChangeRequestsApprove from './change-requests/approve.js';
import ChangeRequestsCancel from './change-requests/cancel.js';
import ChangeRequestsList from './change-requests/list.js';
import ChangeRequestsReject from './change-requests/reject.js';
import ChangeRequestsShow from './change-requests/show.js';
import Diff from './diff.js';
import Get from './get.js';
import Init from './init.js';
import InvitesAccept from './invites/accept.js';
import KeysCreate from './keys/create.js';
import KeysList from './keys/list.js';
import KeysRevoke from './keys/revoke.js';
import List from './list.js';
import Login from './login.js';
import Logout from './logout.js';
import MembersInvite from './members/invite.js';
import MembersInvites from './members/invites.js';
import MembersList from './members/list.js';
import MembersRemove from './members/remove.js';
import MembersRevokeInvite from './members/revoke-invite.js';
import MembersSetRole from './members/set-role.js';
import MembersTransferOwnership from './members/transfer-ownership.js';
import Open from './open.js';
import ProjectsCreate from './projects/create.js';
import ProjectsDelete from './projects/delete.js';
import Pull from './pull.js';
import Push from './push.js';
import Run from './run.js';
import SecretsHistory from './secrets/history.js';
import SecretsList from './secrets/list.js';
import SecretsRollback from './secrets/rollback.js';
import SetCommand from './set.js';
import Unset from './unset.js';
import WebhooksAdd from './webhooks/add.js';
import WebhooksDeliveries from './webhooks/deliveries.js';
import WebhooksList from './webhooks/list.js';
import WebhooksRemove from './webhooks/remove.js';
import WebhooksTest from './webhooks/test.js';
import Whoami from './whoami.js';

// Every command but the server's, by id (topic and verb joined by ':'). Loading it must never pull
// in the server (Fastify, Kysely, pg, better-sqlite3).
export const CLIENT_COMMANDS: Record<string, AnyCommand> = {
  'audit': Audit,
  'cache:clear': CacheClear,
  'change-requests:approve': ChangeRequestsApprove,
  'change-requests:cancel': ChangeRequestsCancel,
  'change-requests:list': ChangeRequestsList,
  'change-requests:reject': ChangeRequestsReject,
  'change-requests:show': ChangeRequestsShow,
  'diff': Diff,
  'get': Get,
  'init': Init,
  'invites:accept': InvitesAccept,
  'keys:create': KeysCreate,
  'keys:list': KeysList,
  'keys:revoke': KeysRevoke,
  'list': List,
  'login': Login,
  'logout': Logout,
  'members:invite': MembersInvite,
  'members:invites': MembersInvites,
  'members:list': MembersList,
  'members:remove': MembersRemove,
  'members:revoke-invite': MembersRevokeInvite,
  'members:set-role': MembersSetRole,
  'members:transfer-ownership': MembersTransferOwnership,
  'open': Open,
  'projects:create': ProjectsCreate,
  'projects:delete': ProjectsDelete,
  'pull': Pull,
  'push': Push,
  'run': Run,
  'secrets:history': SecretsHistory,
  'secrets:list': SecretsList,
  'secrets:rollback': SecretsRollback,
  'set': SetCommand,
  'unset': Unset,
  'webhooks:add': WebhooksAdd,
  'webhooks:deliveries': WebhooksDeliveries,
  'webhooks:list': WebhooksList,
  'webhooks:remove': WebhooksRemove,
  'webhooks:test': WebhooksTest,
  'whoami': Whoami,
};
