import { InputError } from '@backstage/errors';
import { parseEntityRef } from '@backstage/catalog-model';
import { CostLimits, PriceCatalog } from '../settings';

/** A workload the project runs: replicas of one compute profile, optionally with GPUs, for some hours a month. */
export interface ComputeRequest {
  name: string;
  profile: string;
  replicas: number;
  /** Hours a month the workload runs; omitted means always on. */
  hoursPerMonth?: number;
  gpu?: { type: string; count: number };
}

export interface CostRequest {
  compute: ComputeRequest[];
  storage: Array<{ class: string; sizeGi: number }>;
  services: string[];
}

/** One line of an estimate, as finance reads it. */
export interface CostLine {
  category: 'compute' | 'gpu' | 'storage' | 'service';
  item: string;
  description: string;
  quantity: number;
  unit: string;
  unitPrice: number;
  monthly: number;
}

export interface CostEstimate {
  currency: string;
  lines: CostLine[];
  monthlyTotal: number;
}

const cents = (v: number) => Math.round(v * 100) / 100;

function lookup<T>(table: Record<string, T>, key: string, what: string): T {
  const found = table[key];
  if (!found) {
    const known = Object.keys(table);
    throw new InputError(
      `unknown ${what} '${key}'; the price catalog has ${
        known.length ? known.join(', ') : `no ${what}s`
      } (forge.blueprints.pricing)`,
    );
  }
  return found;
}

/** The monthly estimate of a request, line by line, from the configured price catalog. */
export function estimateMonthlyCost(
  request: CostRequest,
  catalog: PriceCatalog,
): CostEstimate {
  const lines: CostLine[] = [];
  for (const workload of request.compute) {
    const profile = lookup(catalog.computeProfiles, workload.profile, 'compute profile');
    const hours = Math.min(workload.hoursPerMonth ?? catalog.hoursPerMonth, catalog.hoursPerMonth);
    const replicaHours = workload.replicas * hours;
    lines.push({
      category: 'compute',
      item: `${workload.name}: ${workload.profile}`,
      description: `${workload.replicas} x ${profile.title ?? workload.profile} (${profile.cpu} vCPU, ${profile.memoryGi} GiB) for ${hours} h`,
      quantity: replicaHours,
      unit: 'replica-hour',
      unitPrice: profile.hourly,
      monthly: cents(replicaHours * profile.hourly),
    });
    if (workload.gpu && workload.gpu.count > 0) {
      const gpu = lookup(catalog.gpuTypes, workload.gpu.type, 'GPU type');
      const gpuHours = workload.gpu.count * replicaHours;
      lines.push({
        category: 'gpu',
        item: `${workload.name}: ${workload.gpu.type}`,
        description: `${workload.gpu.count} x ${gpu.title ?? workload.gpu.type} per replica for ${hours} h`,
        quantity: gpuHours,
        unit: 'gpu-hour',
        unitPrice: gpu.hourly,
        monthly: cents(gpuHours * gpu.hourly),
      });
    }
  }
  for (const volume of request.storage) {
    const storage = lookup(catalog.storage, volume.class, 'storage class');
    lines.push({
      category: 'storage',
      item: `storage: ${volume.class}`,
      description: `${volume.sizeGi} GiB of ${storage.title ?? volume.class}`,
      quantity: volume.sizeGi,
      unit: 'GiB-month',
      unitPrice: storage.perGiBMonth,
      monthly: cents(volume.sizeGi * storage.perGiBMonth),
    });
  }
  for (const serviceName of request.services) {
    const service = lookup(catalog.managedServices, serviceName, 'managed service');
    lines.push({
      category: 'service',
      item: `service: ${serviceName}`,
      description: service.title ?? serviceName,
      quantity: 1,
      unit: 'month',
      unitPrice: service.monthly,
      monthly: cents(service.monthly),
    });
  }
  return {
    currency: catalog.currency,
    lines,
    monthlyTotal: cents(lines.reduce((sum, l) => sum + l.monthly, 0)),
  };
}

/** The limits that apply to a group: its own (by full ref or name) or the default. */
export function limitsForGroup(catalog: PriceCatalog, groupRef: string): CostLimits {
  const { name } = parseEntityRef(groupRef, { defaultKind: 'group' });
  return (
    catalog.limits.groups[groupRef] ??
    catalog.limits.groups[name] ??
    catalog.limits.default
  );
}

/** Money as people read it: `1,234.50 EUR`. */
export function formatMoney(amount: number, currency: string): string {
  return `${amount.toLocaleString('en-US', {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  })} ${currency}`;
}
