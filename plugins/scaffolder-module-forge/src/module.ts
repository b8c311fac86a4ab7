import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';

const blueprintReview = FormFieldBlueprint.make({
  name: 'forge-blueprint-review',
  params: { field: () => import('./fields').then(m => m.blueprintReviewFormField) },
});

const classification = FormFieldBlueprint.make({
  name: 'forge-classification',
  params: { field: () => import('./fields').then(m => m.classificationFormField) },
});

const owner = FormFieldBlueprint.make({
  name: 'forge-owner',
  params: { field: () => import('./fields').then(m => m.ownerFormField) },
});

const personalData = FormFieldBlueprint.make({
  name: 'forge-personal-data',
  params: { field: () => import('./fields').then(m => m.personalDataFormField) },
});

/**
 * Forge's form fields for the Create page.
 *
 * @public
 */
export const scaffolderModuleForge = createFrontendModule({
  pluginId: 'scaffolder',
  extensions: [blueprintReview, classification, owner, personalData],
});
