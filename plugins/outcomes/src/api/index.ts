export { outcomesApiRef } from './OutcomesApi';
export type { OutcomesApi } from './OutcomesApi';
export { OutcomesClient } from './OutcomesClient';
