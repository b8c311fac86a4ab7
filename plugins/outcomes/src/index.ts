/**
 * The Forge outcomes page and the satisfaction question on new projects.
 *
 * @packageDocumentation
 */
export { outcomesPlugin as default } from './plugin';
export { outcomesApiRef, OutcomesClient } from './api';
export type { OutcomesApi } from './api';
