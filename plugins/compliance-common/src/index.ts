/**
 * Forge compliance: the policy pack model, the one CEL policy evaluator, the `forge.io/*` annotations and the
 * compliance permissions, shared by the compliance backend and frontend and the scaffolder gate.
 *
 * @packageDocumentation
 */
export * from './annotations';
export * from './types';
export * from './packSchema';
export * from './evaluator';
export * from './duration';
export * from './permissions';
export * from './api';
export * from './ComplianceClient';
export * from './money';
