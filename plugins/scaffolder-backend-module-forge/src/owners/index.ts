export { BlueprintOwners, blueprintOwnerAnyPermission } from './BlueprintOwners';
export type { OwnerChoice, OwnerChoices } from './BlueprintOwners';
export { createOwnersRouter } from './createOwnersRouter';
