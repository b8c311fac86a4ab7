import { configApiRef, useApi } from '@backstage/frontend-plugin-api';
import { useEntityRefLink } from '@backstage/plugin-catalog-react';
import { useCallback } from 'react';

/** The default of the backend's `forge.compliance.exemptions.maxDays`. */
const DEFAULT_MAX_EXEMPTION_DAYS = 180;

/** Longest an exemption may last, in days, as the backend enforces it. */
export function useMaxExemptionDays(): number {
  const config = useApi(configApiRef);
  return (
    config.getOptionalNumber('forge.compliance.exemptions.maxDays') ??
    DEFAULT_MAX_EXEMPTION_DAYS
  );
}

/** A function giving the path of an entity's Compliance tab. */
export function useComplianceTabLink(): (entityRef: string) => string {
  const entityLink = useEntityRefLink();
  return useCallback(
    (entityRef: string) => `${entityLink(entityRef)}/compliance`,
    [entityLink],
  );
}
