/**
 * Forge compliance backend: policy packs, scheduled evaluation, history, exemptions, evidence export, REST API.
 *
 * @packageDocumentation
 */
export { compliancePlugin as default } from './plugin';
