/**
 * Forge blueprint form fields: the review step's cost estimate and compliance result, and a classification picker
 * that never goes below the chosen data sources.
 *
 * @packageDocumentation
 */
export { scaffolderModuleForge as default } from './module';
