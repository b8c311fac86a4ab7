export { BlueprintReviewField } from './BlueprintReviewField';
