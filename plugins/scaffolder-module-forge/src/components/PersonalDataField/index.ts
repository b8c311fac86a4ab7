export { PersonalDataField } from './PersonalDataField';
