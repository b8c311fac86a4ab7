import { Knex } from 'knex';
import {
  createHarness,
  testClock,
  testDatabases,
} from '../__testUtils__/setup';

jest.setTimeout(60_000);

const request = {
  entityRef: 'component:default/claims-fraud-features',
  checkId: 'data.restricted-in-approved-region',
  justification:
    'Migration to eu-west-1 is scheduled for January; the US copy is read-only until then.',
  compensatingControl:
    'Access limited to two named engineers, logged and reviewed weekly.',
};

describe.each(testDatabases.eachSupportedId())(
  'ExemptionService (%s)',
  databaseId => {
    let knex: Knex;
    let clock: ReturnType<typeof testClock>;
    let h: Awaited<ReturnType<typeof createHarness>>;
    const days = (n: number) =>
      new Date(clock.now().getTime() + n * 86400_000).toISOString();

    beforeEach(async () => {
      knex = await testDatabases.init(databaseId);
      clock = testClock();
      h = await createHarness(knex, { now: clock.now });
      await h.compliance.evaluateAll();
    });
    afterEach(() => knex.destroy());

    it('takes a request, lets someone else approve it, and the score reflects it at once', async () => {
      const before = await h.compliance.scorecard(request.entityRef);
      const exemption = await h.exemptions.request(
        { ...request, expiresAt: days(30) },
        'user:default/mateo.garcia',
      );
      expect(exemption.status).toBe('pending');

      await expect(
        h.exemptions.decide(
          exemption.id,
          { status: 'approved' },
          'user:default/mateo.garcia',
        ),
      ).rejects.toThrow(/someone else/);
      const approved = await h.exemptions.decide(
        exemption.id,
        { status: 'approved', note: 'ok' },
        'user:default/daniel.moreau',
      );
      expect(approved).toEqual(
        expect.objectContaining({
          status: 'approved',
          decidedBy: 'user:default/daniel.moreau',
        }),
      );
      await expect(
        h.exemptions.decide(
          exemption.id,
          { status: 'rejected' },
          'user:default/grace.obrien',
        ),
      ).rejects.toThrow(/already approved/);

      const after = await h.compliance.scorecard(request.entityRef);
      const check = after.results.find(r => r.checkId === request.checkId)!;
      expect(check.status).toBe('exempt');
      expect(check.exemption).toEqual(
        expect.objectContaining({
          id: exemption.id,
          decidedBy: 'user:default/daniel.moreau',
        }),
      );
      expect(after.score).toBeGreaterThan(before.score);
      expect(h.notifier.sent.map(n => n.type)).toEqual([
        'requested',
        'decided',
      ]);
    });

    it('stops counting an exemption once it expires', async () => {
      const exemption = await h.exemptions.request(
        { ...request, expiresAt: days(3) },
        'user:default/mateo.garcia',
      );
      await h.exemptions.decide(
        exemption.id,
        { status: 'approved' },
        'user:default/daniel.moreau',
      );
      clock.advance(24 * 4);
      await h.compliance.evaluateAll();
      const card = await h.compliance.scorecard(request.entityRef);
      expect(
        card.results.find(r => r.checkId === request.checkId)?.status,
      ).toBe('fail');
    });

    it('tells the owners before an exemption expires, once', async () => {
      const exemption = await h.exemptions.request(
        { ...request, expiresAt: days(20) },
        'user:default/mateo.garcia',
      );
      await h.exemptions.decide(
        exemption.id,
        { status: 'approved' },
        'user:default/daniel.moreau',
      );
      const ownerOf = async (ref: string) =>
        (await h.store.getSummary(ref))?.ownerRef;
      expect(await h.exemptions.notifyExpiring(ownerOf)).toBe(0);
      clock.advance(24 * 7);
      expect(await h.exemptions.notifyExpiring(ownerOf)).toBe(1);
      expect(await h.exemptions.notifyExpiring(ownerOf)).toBe(0);
      expect(h.notifier.sent.filter(n => n.type === 'expiring')).toEqual([
        expect.objectContaining({ to: 'group:default/fraud-science' }),
      ]);
    });

    it.each([
      [{ checkId: 'no.such.check' }, /not a check of any loaded policy pack/],
      [{ expiresAt: '2020-01-01T00:00:00Z' }, /in the future/],
      [{ expiresAt: 'in 200 days' }, /expiresAt: must be an RFC 3339/],
      [{ expiresAt: '+275760-09-13T00:00:00.000Z' }, /RFC 3339/],
      [{ expiresAt: '1' }, /RFC 3339/],
      [{ justification: 'x'.repeat(20_000) }, /at most 4,000 characters/],
      [{ compensatingControl: 'y'.repeat(4001) }, /at most 4,000 characters/],
      [{ justification: 'too short' }, /at least 20 characters/],
      [{ unexpected: true }, /Unrecognized key/],
    ])('refuses %j', async (change, message) => {
      await expect(
        h.exemptions.request(
          { ...request, expiresAt: days(30), ...change },
          'user:default/mateo.garcia',
        ),
      ).rejects.toThrow(message);
      expect(await h.store.listExemptions({})).toEqual([]);
    });

    it('refuses an expiry beyond the maximum and an unknown entity', async () => {
      await expect(
        h.exemptions.request(
          { ...request, expiresAt: days(120) },
          'user:default/x',
        ),
      ).rejects.toThrow(/at most 90 days/);
      await expect(
        h.exemptions.request(
          {
            ...request,
            entityRef: 'component:default/nope',
            expiresAt: days(5),
          },
          'user:default/x',
        ),
      ).rejects.toThrow(/No entity/);
    });

    it('refuses a second pending request for the same check, and lets compliance revoke an approval', async () => {
      const first = await h.exemptions.request(
        { ...request, expiresAt: days(30) },
        'user:default/mateo.garcia',
      );
      await expect(
        h.exemptions.request(
          { ...request, expiresAt: days(30) },
          'user:default/hannah.weber',
        ),
      ).rejects.toThrow(/already waiting/);
      await h.exemptions.decide(
        first.id,
        { status: 'approved' },
        'user:default/daniel.moreau',
      );
      const revoked = await h.exemptions.revoke(
        first.id,
        'user:default/grace.obrien',
        'compensating control not in place',
      );
      expect(revoked.status).toBe('revoked');
      const card = await h.compliance.scorecard(request.entityRef);
      expect(
        card.results.find(r => r.checkId === request.checkId)?.status,
      ).toBe('fail');
    });

    it('files gate approvals for projects that do not exist yet, by team, from the blueprints only', async () => {
      const approval = {
        ...request,
        kind: 'approval' as const,
        checkId: 'approval.restricted-data',
        entityRef: 'group:default/fraud-science',
        expiresAt: days(7),
      };
      for (const actor of [
        'user:default/mateo.garcia',
        'service:ci',
        'service:scaffolder',
      ]) {
        await expect(h.exemptions.request(approval, actor)).rejects.toThrow(
          `Approvals only the Forge blueprints may file (the scaffolder's own service), not ${actor}`,
        );
      }
      await expect(
        h.exemptions.request(
          { ...approval, kind: 'exemption', checkId: request.checkId },
          'user:default/mateo.garcia',
        ),
      ).rejects.toThrow(/^Team-wide exemptions only the Forge blueprints/);
      expect(await h.store.listExemptions({})).toEqual([]);

      const filed = await h.exemptions.request(
        { ...approval, onBehalfOf: 'user:default/mateo.garcia' },
        'service:plugin:scaffolder',
      );
      expect(filed).toEqual(
        expect.objectContaining({
          kind: 'approval',
          status: 'pending',
          requestedBy: 'user:default/mateo.garcia',
        }),
      );
    });

    it('takes onBehalfOf from the scaffolder only, and only naming a person', async () => {
      await expect(
        h.exemptions.request(
          {
            ...request,
            expiresAt: days(30),
            onBehalfOf: 'user:default/hannah.weber',
          },
          'user:default/mateo.garcia',
        ),
      ).rejects.toThrow(
        /^Requests on behalf of someone else only the Forge blueprints may file/,
      );
      await expect(
        h.exemptions.request(
          { ...request, expiresAt: days(30), onBehalfOf: 'group:default/x' },
          'service:plugin:scaffolder',
        ),
      ).rejects.toThrow(/onBehalfOf: must be a full user reference/);
    });

    it('keeps an exemption under the catalog spelling of the entity', async () => {
      const filed = await h.exemptions.request(
        {
          ...request,
          entityRef: 'Component:Default/Claims-Fraud-Features',
          expiresAt: days(30),
        },
        'user:default/mateo.garcia',
      );
      expect(filed.entityRef).toBe(request.entityRef);
    });

    it('never lets the requester decide, however the ref is spelled, nor a service', async () => {
      const filed = await h.exemptions.request(
        {
          ...request,
          kind: 'approval',
          checkId: 'approval.restricted-data',
          entityRef: 'component:default/new-fraud-model',
          expiresAt: days(7),
          onBehalfOf: 'user:default/Daniel.Moreau',
        },
        'service:plugin:scaffolder',
      );
      for (const decider of [
        'user:default/daniel.moreau',
        'User:Default/DANIEL.MOREAU',
      ]) {
        await expect(
          h.exemptions.decide(filed.id, { status: 'approved' }, decider),
        ).rejects.toThrow(/You requested this exemption/);
      }
      await expect(
        h.exemptions.decide(
          filed.id,
          { status: 'approved' },
          'service:plugin:scaffolder',
        ),
      ).rejects.toThrow(
        'Exemptions and approvals are decided by people, not by service:plugin:scaffolder',
      );
      await expect(
        h.exemptions.decide(
          filed.id,
          { status: 'approved', note: 'n'.repeat(4001) },
          'user:default/grace.obrien',
        ),
      ).rejects.toThrow('Invalid note: must be at most 4,000 characters');
      const decided = await h.exemptions.decide(
        filed.id,
        { status: 'approved' },
        'user:default/grace.obrien',
      );
      expect(decided.status).toBe('approved');
      await expect(h.exemptions.revoke(filed.id, 'service:ci')).rejects.toThrow(
        'Exemptions are revoked by people, not by service:ci',
      );
    });
  },
);
