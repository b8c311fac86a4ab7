export { OutcomesPage } from './OutcomesPage';
