/**
 * Field names that say who acts or who asked: Forge takes who acts only from the caller's credentials, and the one
 * exception is `onBehalfOf`, which the scaffolder's own service sends on the routes that take it. Compared in one
 * spelling (lower case, letters and digits only), so `On-Behalf-Of`, `on_behalf_of` and `ONBEHALFOF` are the same
 * field.
 *
 * `owner` is not among them: a blueprint's owner or an entity's `spec.owner` is data, checked by the owner rule,
 * and never names the caller.
 */
const IDENTITY_FIELDS = new Set([
  'onbehalfof',
  'behalfof',
  'actor',
  'actorref',
  'actorentityref',
  'userentityref',
  'requestedby',
  'requester',
  'decidedby',
  'approvedby',
  'rejectedby',
  'revokedby',
  'recordedby',
  'createdby',
  'updatedby',
  'uploadedby',
  'submittedby',
  'pushedby',
  'setby',
  'impersonate',
  'impersonating',
  'runas',
  'asuser',
]);

/** A field name in the one spelling identity fields are compared in. */
function spelling(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * Header names are compared without the `x-`, `forge-` and `backstage-` prefixes (`X-Forge-Actor`, `X-On-Behalf-Of`).
 * Proxies' own identity headers (`X-Forwarded-User`, `X-Remote-User`) are not refused: an authenticating proxy in
 * front of Forge sets them on every request, and Forge never reads them (who acts comes from the token only).
 */
function headerSpelling(name: string): string {
  return spelling(name.toLowerCase().replace(/^(x-|forge-|backstage-)+/, ''));
}

/** Whether a field name names who acts, in any spelling. @public */
export function isIdentityField(name: string): boolean {
  return IDENTITY_FIELDS.has(spelling(name));
}

/** Where a request may carry identity fields; `freeForm` lists top-level body fields that hold data, not requests. */
export type IdentityFieldSources = {
  query?: unknown;
  headers?: Record<string, unknown>;
  body?: unknown;
  /** Top-level body fields whose content is stored as data and never read as identity (a scan's findings). */
  freeForm?: string[];
};

/**
 * Every place an identity field appears in a request: `query.actor`, `header X-On-Behalf-Of`,
 * `body.evaluation.requestedBy`, at any depth of the body (walked with its own stack, as bounded as the body).
 *
 * @public
 */
export function identityFieldsIn(sources: IdentityFieldSources): string[] {
  const found: string[] = [];
  const freeForm = new Set(sources.freeForm ?? []);
  for (const name of Object.keys(sources.headers ?? {})) {
    if (IDENTITY_FIELDS.has(headerSpelling(name))) found.push(`header ${name}`);
  }
  const stack: Array<[unknown, string, boolean]> = [
    [sources.query, 'query', false],
    [sources.body, 'body', true],
  ];
  while (stack.length > 0) {
    const [value, where, top] = stack.pop()!;
    if (value === null || typeof value !== 'object' || Buffer.isBuffer(value))
      continue;
    for (const [key, child] of Object.entries(value)) {
      if (top && freeForm.has(key)) continue;
      const path = Array.isArray(value)
        ? `${where}[${key}]`
        : `${where}.${key}`;
      if (!Array.isArray(value) && isIdentityField(key)) found.push(path);
      stack.push([child, path, false]);
    }
  }
  return found.sort();
}
