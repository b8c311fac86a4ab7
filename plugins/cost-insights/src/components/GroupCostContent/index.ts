export { GroupCostContent } from './GroupCostContent';
