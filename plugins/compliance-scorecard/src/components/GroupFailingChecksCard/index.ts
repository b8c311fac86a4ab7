export { GroupFailingChecksCard } from './GroupFailingChecksCard';
