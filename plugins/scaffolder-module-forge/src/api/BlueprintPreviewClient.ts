import { ResponseError } from '@backstage/errors';

/** A line of the monthly estimate (forge:cost:estimate). */
export interface CostLine {
  category: string;
  item: string;
  description: string;
  quantity: number;
  unit: string;
  unitPrice: number;
  monthly: number;
}

/** What the blueprint's dry run says about the form: the template's `preview` output. */
export interface BlueprintPreview {
  monthlyTotal: number;
  currency: string;
  costLines: CostLine[];
  costSummary: string;
  budget?: { monthlyBudget: number | null; monthToDate: number | null; remainingAfterEstimate: number | null };
  classification: string;
  containsPii: boolean;
  decision: 'passed' | 'blocked' | 'approval-required';
  score: number;
  warnings: Array<{ checkId: string; title: string; message: string; controls: string[] }>;
  approvals: Array<{ checkId: string; reason: string; status: string }>;
  complianceSummary: string;
}

export interface BlueprintPreviewResponse {
  errors?: string[];
  stoppedBy?: { step: string; message: string };
  preview?: BlueprintPreview;
}

/** `POST /api/scaffolder/forge/preview` through the app's discovery and authenticated fetch. */
export async function previewBlueprint(
  apis: {
    discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
    fetchApi: { fetch: typeof fetch };
  },
  templateRef: string,
  values: Record<string, unknown>,
): Promise<BlueprintPreviewResponse> {
  const baseUrl = await apis.discoveryApi.getBaseUrl('scaffolder');
  const response = await apis.fetchApi.fetch(`${baseUrl}/forge/preview`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ templateRef, values }),
  });
  if (!response.ok) throw await ResponseError.fromResponse(response);
  return response.json();
}
