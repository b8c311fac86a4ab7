/**
 * The Forge outcomes backend plugin.
 *
 * @packageDocumentation
 */
export { outcomesPlugin as default } from './plugin';
