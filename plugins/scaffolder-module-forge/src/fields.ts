import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import { BlueprintReviewField } from './components/BlueprintReviewField';
import { ClassificationField } from './components/ClassificationField';

/** `ui:field: ForgeBlueprintReview`: the estimate and compliance result on a blueprint's last page. */
export const blueprintReviewFormField = createFormField({
  name: 'ForgeBlueprintReview',
  component: BlueprintReviewField as any,
});

/** `ui:field: ForgeClassification`: classification never lower than the chosen data sources. */
export const classificationFormField = createFormField({
  name: 'ForgeClassification',
  component: ClassificationField as any,
});
