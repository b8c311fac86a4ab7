export { BlueprintReviewField, validateBlueprintReview, NOT_READY } from './BlueprintReviewField';
