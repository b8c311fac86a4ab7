import { mockServices } from '@backstage/backend-test-utils';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { Exemption } from '@internal/plugin-compliance-common';
import { BackstageComplianceNotifier } from './Notifier';

/** Records what would go to the notifications backend. */
function recordingNotifications() {
  const sent: Array<{ to: string; title: string; topic?: string }> = [];
  const service: NotificationService = {
    async send({ recipients, payload }) {
      if (recipients.type !== 'entity') throw new Error('unexpected broadcast');
      for (const ref of [recipients.entityRef].flat()) {
        sent.push({ to: ref, title: payload.title, topic: payload.topic });
      }
    },
  };
  return { service, sent };
}

const exemption = (overrides: Partial<Exemption>): Exemption => ({
  id: 'ex-1',
  kind: 'exemption',
  entityRef: 'component:default/churn-model',
  checkId: 'scan.dependencies-fresh',
  justification: 'The scanner is being replaced this week.',
  compensatingControl: 'Manual review of the lockfile.',
  requestedBy: 'user:default/daniel.moreau',
  requestedAt: '2026-11-20T10:00:00.000Z',
  expiresAt: '2026-12-20T10:00:00.000Z',
  status: 'pending',
  ...overrides,
});

describe('BackstageComplianceNotifier', () => {
  it('tells the reviewing groups about every new request', async () => {
    const { service, sent } = recordingNotifications();
    const notifier = new BackstageComplianceNotifier(
      service,
      mockServices.logger.mock(),
      ['group:default/compliance-risk'],
    );
    await notifier.exemptionRequested({ exemption: exemption({}) });
    expect(sent).toEqual([
      {
        to: 'group:default/compliance-risk',
        title:
          'Exemption requested for scan.dependencies-fresh on component:default/churn-model',
        topic: 'forge-compliance-exemption-request',
      },
    ]);
  });

  it('tells the requester of a decision, and the owning group of an approval the gate asked for', async () => {
    const { service, sent } = recordingNotifications();
    const notifier = new BackstageComplianceNotifier(
      service,
      mockServices.logger.mock(),
      [],
    );
    await notifier.exemptionDecided({
      exemption: exemption({
        status: 'approved',
        decidedBy: 'user:default/fatima.haddad',
      }),
    });
    await notifier.exemptionDecided({
      exemption: exemption({
        kind: 'approval',
        entityRef: 'group:default/retention-analytics',
        checkId: 'gate.restricted-data-approval',
        requestedBy: 'plugin:scaffolder',
        status: 'rejected',
      }),
    });
    expect(sent.map(s => s.to)).toEqual([
      'user:default/daniel.moreau',
      'group:default/retention-analytics',
    ]);
    expect(sent[1].title).toBe(
      'Approval for gate.restricted-data-approval rejected',
    );
  });

  it('never fails the caller when the notifications backend does', async () => {
    const logger = mockServices.logger.mock();
    const notifier = new BackstageComplianceNotifier(
      { send: async () => Promise.reject(new Error('notifications is down')) },
      logger,
      ['group:default/compliance-risk'],
    );
    await expect(
      notifier.exemptionRequested({ exemption: exemption({}) }),
    ).resolves.toBeUndefined();
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('notifications is down'),
    );
  });
});
