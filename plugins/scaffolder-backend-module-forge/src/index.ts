/**
 * Forge scaffolder actions: the compliance gate, the cost estimate, the environment plan and publishing.
 *
 * @packageDocumentation
 */
export { scaffolderModuleForge as default } from './module';
export * from './actions';
