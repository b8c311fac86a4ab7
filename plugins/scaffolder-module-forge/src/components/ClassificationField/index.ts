export { ClassificationField } from './ClassificationField';
