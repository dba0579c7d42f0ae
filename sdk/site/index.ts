export {
  createInProcessSiteState,
  type InProcessSiteStateOptions,
} from './in-process-site-state.js';
export { openRedisSiteState, type RedisNodeAddress, type RedisSiteStateOptions } from './redis-site-state.js';
export {
  type OnSiteStateDown,
  type SiteCallEvent,
  type SiteDoubleGrant,
  SiteLink,
  type SiteLinkEventMap,
  type SiteLinkOptions,
  type SiteLinkStatus,
  type SiteOperation,
} from './site-link.js';
export type {
  CapCount,
  CapPeriod,
  CapScope,
  SiteCap,
  SiteCommitRequest,
  SiteCommitResult,
  SitePresence,
  SiteReserveRequest,
  SiteReserveResult,
  SiteState,
  SiteStateKind,
  SiteStoreInfo,
  SiteSubjectQuery,
  SiteUsage,
} from './site-state.js';
export { openSqliteSiteState, type SqliteSiteStateOptions } from './sqlite-site-state.js';
