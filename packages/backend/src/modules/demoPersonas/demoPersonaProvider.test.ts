import { ConfigReader } from '@backstage/config';
import {
  demoPersonaAuthenticator,
  PERSONA_HEADER,
} from './demoPersonaProvider';

const config = new ConfigReader({ personas: ['guest', 'daniel.moreau'] });
const request = (persona?: string) =>
  ({
    header: (name: string) =>
      name.toLowerCase() === PERSONA_HEADER ? persona : undefined,
  } as any);

describe('demo persona sign-in', () => {
  const env = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = env;
  });

  it('accepts a listed persona in development', async () => {
    process.env.NODE_ENV = 'development';
    const ctx = demoPersonaAuthenticator.initialize({ config });
    await expect(
      demoPersonaAuthenticator.authenticate(
        { req: request('daniel.moreau') },
        ctx,
      ),
    ).resolves.toEqual({
      result: { name: 'daniel.moreau' },
    });
  });

  it('refuses people who are not listed, and requests without a persona', async () => {
    process.env.NODE_ENV = 'development';
    const ctx = demoPersonaAuthenticator.initialize({ config });
    await expect(
      demoPersonaAuthenticator.authenticate({ req: request('noah.kim') }, ctx),
    ).rejects.toThrow(/not one of the demo personas/);
    await expect(
      demoPersonaAuthenticator.authenticate({ req: request() }, ctx),
    ).rejects.toThrow(/Missing/);
  });

  it('refuses to run outside development mode', () => {
    process.env.NODE_ENV = 'production';
    expect(() => demoPersonaAuthenticator.initialize({ config })).toThrow(
      /only runs in development mode/,
    );
  });
});
