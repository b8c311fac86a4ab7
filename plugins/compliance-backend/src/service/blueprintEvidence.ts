import { NotAllowedError } from '@backstage/errors';
import { BLUEPRINT_CREATION_FACTS } from '@internal/plugin-compliance-common';
import { SCAFFOLDER_SERVICE_ACTOR } from '@internal/plugin-forge-node';

const CREATION_FACTS = new Set<string>(BLUEPRINT_CREATION_FACTS);

/**
 * The scaffolder leaves only the evidence a blueprint produces when it creates a project (forge:evidence:collect:
 * the secret scan and the SBOM of the generated files). Any template can run a scaffolder action, so a fact such as
 * `ci` pushed by the scaffolder would be the template's word for what only CI can say: refused, for every entry
 * point that accepts facts (the caller's audit event records the refusal).
 */
export function assertFactAllowedFor(actor: string, factName: string): void {
  if (actor === SCAFFOLDER_SERVICE_ACTOR && !CREATION_FACTS.has(factName)) {
    throw new NotAllowedError(
      `The blueprints may leave only the evidence they produce when creating a project (${BLUEPRINT_CREATION_FACTS.join(
        ', ',
      )}), not '${factName}': that fact comes from the tool that produces it (CI pushes it with its own token)`,
    );
  }
}
