/** Where an entity's or group's cost is shown in the portal (its Cost tab). */
export function entityLink(entityRef: string): string {
  const colon = entityRef.indexOf(':');
  const slash = entityRef.indexOf('/');
  const kind = entityRef.slice(0, colon);
  const namespace = entityRef.slice(colon + 1, slash);
  const name = entityRef.slice(slash + 1);
  return `/catalog/${namespace}/${kind}/${name}/cost`;
}
