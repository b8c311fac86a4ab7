export { ExemptionQueue } from './ExemptionQueue';
