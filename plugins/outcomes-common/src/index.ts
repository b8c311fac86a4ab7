/**
 * Types, permissions and measures shared by the Forge outcomes backend and page.
 *
 * @packageDocumentation
 */
export * from './permissions';
export * from './types';
export * from './nps';
