import path from 'node:path';
import fs from 'node:fs';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { forgePermissionPolicyModule } from './module';
import { backendTestDatabases } from '../../testing/databases';

const ROOT = path.resolve(__dirname, '../../../../..');

/** Direct group membership of each demo user, as the catalog sign-in resolver puts it in their token. */
function demoMemberships(): Map<string, string[]> {
  const docs = fs
    .readFileSync(path.join(ROOT, 'catalog/org/users.yaml'), 'utf8')
    .split(/^---$/m)
    .map(d => parseYaml(d))
    .filter(Boolean);
  return new Map(
    docs.map(d => [
      `user:default/${d.metadata.name}`,
      (d.spec.memberOf as string[]).map(g => `group:default/${g}`),
    ]),
  );
}

const memberships = demoMemberships();
const signInLikeUserInfo = createServiceFactory({
  service: coreServices.userInfo,
  deps: {},
  factory: () => ({
    async getUserInfo(credentials) {
      const ref = (credentials.principal as { userEntityRef: string })
        .userEntityRef;
      return {
        userEntityRef: ref,
        ownershipEntityRefs: [ref, ...(memberships.get(ref) ?? [])],
      };
    },
  }),
});

describe.each(backendTestDatabases().map(db => [db.id, db] as const))(
  'Forge permission policy in a real backend (%s)',
  (_id, db) => {
    const as = (user: string) =>
      mockCredentials.user.header(`user:default/${user}`);
    let server: any;
    let stop: () => Promise<void>;

    beforeAll(async () => {
      const backend = await startTestBackend({
        features: [
          catalogPlugin,
          permissionPlugin,
          forgePermissionPolicyModule,
          permissionsServiceFactory,
          signInLikeUserInfo,
          mockServices.rootConfig.factory({
            data: {
              backend: { database: db.config() },
              permission: { enabled: true },
              catalog: {
                processingInterval: { seconds: 1 },
                rules: [
                  {
                    allow: [
                      'Component',
                      'System',
                      'Resource',
                      'Location',
                      'Domain',
                      'Group',
                      'User',
                    ],
                  },
                ],
                locations: [
                  { type: 'file', target: path.join(ROOT, 'catalog/all.yaml') },
                ],
              },
            },
          }),
        ],
      });
      server = backend.server;
      stop = () => backend.stop();

      // Wait for the demo organisation to be ingested (as a service: no permission check involved).
      for (let i = 0; i < 240; i++) {
        const res = await request(server)
          .get(
            '/api/catalog/entities/by-name/component/default/fraud-scoring-service',
          )
          .set('Authorization', mockCredentials.service.header());
        if (res.status === 200) break;
        await new Promise(r => setTimeout(r, 250));
      }
    }, 120_000);

    afterAll(async () => {
      await stop?.();
      await db.cleanup();
    }, 60_000);

    async function decide(user: string, name: string, action: string) {
      const res = await request(server)
        .post('/api/permission/authorize')
        .set('Authorization', as(user))
        .send({
          items: [
            {
              id: '1',
              permission: { type: 'basic', name, attributes: { action } },
            },
          ],
        });
      expect(res.status).toBe(200);
      return res.body.items[0].result;
    }

    it('gives a platform admin every permission, with roles read from the ingested catalog', async () => {
      expect(
        await decide('noah.kim', 'catalog.location.delete', 'delete'),
      ).toBe('ALLOW');
      expect(
        await decide('noah.kim', 'some-plugin.widget.update', 'update'),
      ).toBe('ALLOW');
    });

    it('denies writes nobody granted to a data engineer and a compliance manager', async () => {
      expect(await decide('guest', 'catalog.location.delete', 'delete')).toBe(
        'DENY',
      );
      expect(
        await decide('daniel.moreau', 'some-plugin.widget.update', 'update'),
      ).toBe('DENY');
      expect(await decide('guest', 'catalog.entity.create', 'create')).toBe(
        'ALLOW',
      );
    });
  },
);
