import { ConfigReader } from '@backstage/config';
import {
  DEFAULT_SERVICE_PERMISSIONS,
  ServicePermissions,
} from './ServicePermissions';

describe('ServicePermissions', () => {
  it('grants a service only what is listed for its subject, and nothing to a subject nobody listed', () => {
    const services = ServicePermissions.fromConfig(
      new ConfigReader({
        forge: {
          permissions: { services: { ci: ['forge.compliance.facts.push'] } },
        },
      }),
    );
    expect(services.allows('ci', 'forge.compliance.facts.push')).toBe(true);
    expect(services.allows('ci', 'forge.compliance.policy.reload')).toBe(false);
    expect(services.allows('ci', 'forge.compliance.evidence.export')).toBe(
      false,
    );
    expect(services.allows('scanner', 'forge.compliance.facts.push')).toBe(
      false,
    );
    expect(
      services.allows('plugin:catalog', 'forge.compliance.scorecard.read'),
    ).toBe(false);
  });

  it('keeps what the blueprints need for the scaffolder unless configured otherwise', () => {
    const defaults = ServicePermissions.fromConfig(new ConfigReader({}));
    for (const name of DEFAULT_SERVICE_PERMISSIONS['plugin:scaffolder']) {
      expect(defaults.allows('plugin:scaffolder', name)).toBe(true);
    }
    expect(
      defaults.allows(
        'plugin:scaffolder',
        'forge.compliance.exemption.approve',
      ),
    ).toBe(false);
    expect(defaults.allows('ci', 'forge.compliance.facts.push')).toBe(false);

    const narrowed = ServicePermissions.fromConfig(
      new ConfigReader({
        forge: {
          permissions: {
            services: {
              'plugin:scaffolder': ['forge.compliance.scorecard.read'],
            },
          },
        },
      }),
    );
    expect(
      narrowed.allows('plugin:scaffolder', 'forge.compliance.gate.record'),
    ).toBe(false);
  });

  it('refuses configuration that is not a list of Forge permissions per subject', () => {
    expect(() =>
      ServicePermissions.fromConfig(
        new ConfigReader({
          forge: {
            permissions: { services: { ci: ['catalog.entity.delete'] } },
          },
        }),
      ),
    ).toThrow(
      'Invalid forge.permissions.services.ci.0: must be a Forge permission name',
    );
    expect(() =>
      ServicePermissions.fromConfig(
        new ConfigReader({
          forge: { permissions: { services: { ci: 'forge.cost.read' } } },
        }),
      ),
    ).toThrow('Invalid forge.permissions.services.ci');
  });

  it('refuses to start when an external token poses as a plugin', () => {
    expect(() =>
      ServicePermissions.fromConfig(
        new ConfigReader({
          backend: {
            auth: {
              externalAccess: [
                {
                  type: 'static',
                  options: {
                    token: 'a-long-enough-token',
                    subject: 'plugin:scaffolder',
                  },
                },
              ],
            },
          },
        }),
      ),
    ).toThrow("the subject 'plugin:scaffolder' of a static token looks like");
  });
});
