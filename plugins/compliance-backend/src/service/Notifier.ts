import { NotificationService } from '@backstage/plugin-notifications-node';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Exemption } from '@internal/plugin-compliance-common';

/** What the compliance backend tells people about. */
export interface ComplianceNotifier {
  checkRegressed(input: {
    ownerRef: string;
    entityRef: string;
    checkId: string;
    title: string;
    severity: string;
    remediation: string;
  }): Promise<void>;
  exemptionExpiring(input: {
    ownerRef: string;
    exemption: Exemption;
  }): Promise<void>;
  exemptionDecided(input: { exemption: Exemption }): Promise<void>;
  exemptionRequested(input: {
    exemption: Exemption;
    ownerRef?: string;
  }): Promise<void>;
}

/** 'Approval' for the blueprint gate's requests, 'Exemption' otherwise. */
function requestLabel(exemption: Exemption): string {
  return exemption.kind === 'approval' ? 'Approval' : 'Exemption';
}

function entityPath(entityRef: string): string {
  const [kind, rest] = entityRef.split(':');
  const [namespace, name] = rest.split('/');
  return `/catalog/${namespace}/${kind}/${name}`;
}

/** Sends through the Backstage notifications plugin; a failed send is logged, never fatal to an evaluation. */
export class BackstageComplianceNotifier implements ComplianceNotifier {
  /**
   * @param reviewers - the groups that decide exemptions and approvals (forge.permissions.roles.compliance); they
   *   are told about every new request.
   */
  constructor(
    private readonly notifications: NotificationService,
    private readonly logger: LoggerService,
    private readonly reviewers: string[] = [],
  ) {}

  private async send(
    entityRef: string,
    payload: Parameters<NotificationService['send']>[0]['payload'],
  ) {
    try {
      await this.notifications.send({
        recipients: { type: 'entity', entityRef },
        payload,
      });
    } catch (e) {
      this.logger.warn(
        `Could not send a compliance notification to ${entityRef}: ${
          (e as Error).message
        }`,
      );
    }
  }

  async checkRegressed(
    input: Parameters<ComplianceNotifier['checkRegressed']>[0],
  ) {
    await this.send(input.ownerRef, {
      title: `${input.entityRef} now fails "${input.title}" (${input.severity})`,
      description: `The check ${input.checkId} passed before and fails now. To fix: ${input.remediation}`,
      link: `${entityPath(input.entityRef)}/compliance`,
      severity: input.severity === 'critical' ? 'critical' : 'high',
      topic: 'forge-compliance-regression',
    });
  }

  async exemptionExpiring({
    ownerRef,
    exemption,
  }: Parameters<ComplianceNotifier['exemptionExpiring']>[0]) {
    await this.send(ownerRef, {
      title: `Exemption for ${exemption.checkId} on ${
        exemption.entityRef
      } expires ${exemption.expiresAt.slice(0, 10)}`,
      description:
        'Fix the check before then, or request a new exemption with a fresh justification.',
      link: exemption.entityRef.startsWith('group:')
        ? '/compliance'
        : `${entityPath(exemption.entityRef)}/compliance`,
      severity: 'normal',
      topic: 'forge-compliance-exemption-expiry',
    });
  }

  async exemptionDecided({
    exemption,
  }: Parameters<ComplianceNotifier['exemptionDecided']>[0]) {
    const payload = {
      title: `${requestLabel(exemption)} for ${exemption.checkId} ${
        exemption.status
      }`,
      description:
        exemption.decisionNote ??
        `${exemption.entityRef}: decided by ${exemption.decidedBy}`,
      link: '/compliance',
      severity: 'normal' as const,
      topic: 'forge-compliance-exemption-decision',
    };
    // The person who asked (a service filing for someone records them as the requester), and the group when the
    // request covers a whole group, since a service-filed group request may have no person behind it.
    const recipients = new Set<string>();
    if (exemption.requestedBy.startsWith('user:'))
      recipients.add(exemption.requestedBy);
    if (exemption.entityRef.startsWith('group:'))
      recipients.add(exemption.entityRef);
    for (const recipient of recipients) await this.send(recipient, payload);
  }

  async exemptionRequested({
    exemption,
  }: Parameters<ComplianceNotifier['exemptionRequested']>[0]) {
    this.logger.info(
      `Exemption ${exemption.id} requested for ${exemption.checkId} on ${exemption.entityRef}`,
    );
    for (const reviewer of this.reviewers) {
      await this.send(reviewer, {
        title: `${requestLabel(exemption)} requested for ${
          exemption.checkId
        } on ${exemption.entityRef}`,
        description: exemption.justification,
        link: '/compliance',
        severity: 'normal',
        topic: 'forge-compliance-exemption-request',
      });
    }
  }
}
