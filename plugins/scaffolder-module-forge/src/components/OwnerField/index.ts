export { OwnerField, validateOwner } from './OwnerField';
