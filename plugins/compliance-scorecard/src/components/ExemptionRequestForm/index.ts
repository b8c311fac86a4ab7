export { ExemptionRequestForm } from './ExemptionRequestForm';
export type { ExemptionRequestFormProps } from './ExemptionRequestForm';
export { ExemptionRequestDialog } from './ExemptionRequestDialog';
