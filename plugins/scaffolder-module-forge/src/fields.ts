import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import {
  BlueprintReviewField,
  validateBlueprintReview,
} from './components/BlueprintReviewField';
import { ClassificationField } from './components/ClassificationField';
import { OwnerField, validateOwner } from './components/OwnerField';
import { PersonalDataField } from './components/PersonalDataField';

/** `ui:field: ForgeBlueprintReview`: the estimate and compliance result on a blueprint's last page. */
export const blueprintReviewFormField = createFormField({
  name: 'ForgeBlueprintReview',
  component: BlueprintReviewField as any,
  validation: validateBlueprintReview,
});

/** `ui:field: ForgeClassification`: classification never lower than the chosen data sources. */
export const classificationFormField = createFormField({
  name: 'ForgeClassification',
  component: ClassificationField as any,
});

/** `ui:field: ForgeOwnerPicker`: the teams the person may own projects for, and what each is billed to. */
export const ownerFormField = createFormField({
  name: 'ForgeOwnerPicker',
  component: OwnerField as any,
  validation: validateOwner as any,
});

/** `ui:field: ForgePersonalData`: personal data, ticked and locked when a data source holds it. */
export const personalDataFormField = createFormField({
  name: 'ForgePersonalData',
  component: PersonalDataField as any,
});
