export { ForgeGuard } from './ForgeGuard';
export type { GuardEntry, GuardedPermission, GuardOptions } from './ForgeGuard';
export {
  ServicePermissions,
  DEFAULT_SERVICE_PERMISSIONS,
} from './ServicePermissions';
export { actorOf, callerOf, SCAFFOLDER_SERVICE_ACTOR } from './callers';
export type { Caller } from './callers';
export {
  entityRefKey,
  normalizeEntityRef,
  sameEntityRef,
  MAX_ENTITY_REF_LENGTH,
} from './entityRefs';
export {
  jsonBody,
  exceedsJsonDepth,
  MAX_JSON_DEPTH,
  PayloadTooLargeError,
} from './jsonBody';
export {
  rfc3339Timestamp,
  rfc3339DateOrTimestamp,
  MAX_CLOCK_SKEW_MS,
} from './dates';
export { identityFieldsIn, isIdentityField } from './identityFields';
export type { IdentityFieldSources } from './identityFields';
