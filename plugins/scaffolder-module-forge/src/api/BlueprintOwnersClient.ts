import { ResponseError } from '@backstage/errors';

/** A team the signed-in person may choose as a project's owner (GET /api/scaffolder/forge/owners). */
export interface OwnerChoice {
  ref: string;
  title: string;
  costCenter?: string;
  parent?: string;
}

export interface OwnerChoices {
  /** Admins may choose any team. */
  anyGroup: boolean;
  groups: OwnerChoice[];
  /** Who can give a team a cost center. */
  costCenterContact?: { ref: string; title: string; email?: string };
}

type Apis = {
  discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
  fetchApi: { fetch: typeof fetch };
};

/** The teams the signed-in person may own a new project for, and their cost centers. */
export async function listOwnerChoices(apis: Apis): Promise<OwnerChoices> {
  const baseUrl = await apis.discoveryApi.getBaseUrl('scaffolder');
  const response = await apis.fetchApi.fetch(`${baseUrl}/forge/owners`);
  if (!response.ok) throw await ResponseError.fromResponse(response);
  return response.json();
}

/** What to tell someone whose chosen team has no cost center: what is missing and who can fix it. */
export function missingCostCenterText(team: OwnerChoice, contact: OwnerChoices['costCenterContact']): string {
  const who = contact ? `${contact.title}${contact.email ? ` (${contact.email})` : ''}` : 'a platform admin';
  return (
    `${team.title} has no cost center (forge.io/cost-center) in the catalog, so there is nothing to bill the ` +
    `project to. Enter the cost center under Advanced (Cost center), or ask ${who} to add the team's.`
  );
}
