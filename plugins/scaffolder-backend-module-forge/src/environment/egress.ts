import { InputError } from '@backstage/errors';

/** Where a data source is reached: a host (or URL scheme for object stores) and a TCP port. */
export interface EgressTarget {
  host: string;
  scheme?: string;
  port: number;
}

const DEFAULT_PORTS: Record<string, number> = {
  https: 443,
  s3: 443,
  gs: 443,
  abfss: 443,
  'kafka+ssl': 9093,
  postgresql: 5432,
};

/**
 * Reads a `forge.io/endpoint` value: `host:port`, or `scheme://host[:port]/...` (object stores reached over HTTPS).
 */
export function parseEndpoint(endpoint: string): EgressTarget {
  const withScheme = endpoint.match(/^([a-z][a-z0-9+.-]*):\/\/([^/:]+)(?::(\d+))?/i);
  if (withScheme) {
    const scheme = withScheme[1].toLowerCase();
    const port = withScheme[3] ? Number(withScheme[3]) : DEFAULT_PORTS[scheme];
    if (!port) {
      throw new InputError(
        `data source endpoint '${endpoint}' uses the scheme ${scheme} without a port; add one (scheme://host:port)`,
      );
    }
    return { scheme, host: withScheme[2].toLowerCase(), port };
  }
  const hostPort = endpoint.match(/^([a-z0-9.-]+):(\d+)$/i);
  if (hostPort) return { host: hostPort[1].toLowerCase(), port: Number(hostPort[2]) };
  throw new InputError(
    `data source endpoint '${endpoint}' is neither host:port nor scheme://host; fix forge.io/endpoint on the resource`,
  );
}

/**
 * The network ranges egress to a target may use: object stores by scheme (`s3`), hosts by the longest matching
 * suffix, and the default ranges otherwise.
 */
export function cidrsFor(
  target: EgressTarget,
  egressCidrs: Record<string, string[]>,
  defaults: string[],
): string[] {
  if (target.scheme && egressCidrs[target.scheme]) return egressCidrs[target.scheme];
  const suffix = Object.keys(egressCidrs)
    .filter(s => target.host === s || target.host.endsWith(`.${s}`))
    .sort((a, b) => b.length - a.length)[0];
  return suffix ? egressCidrs[suffix] : defaults;
}
