import {
  Content,
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { parseEntityRef } from '@backstage/catalog-model';
import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import {
  humanizeEntityRef,
  useEntityRefLink,
} from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  APPROVAL_CHECK_IDS,
  complianceExemptionApprovePermission,
  type Exemption,
} from '@internal/plugin-compliance-common';
import {
  Box,
  Button,
  Chip,
  Grid,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Tooltip,
  Typography,
  makeStyles,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useMemo, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { complianceApiRef } from '../../api';
import {
  StatusChip,
  errorMessage,
  formatDate,
  useComplianceTabLink,
} from '../shared';
import { ApprovalSubjectSummary } from './ApprovalSubject';
import { Decision, DecisionDialog } from './DecisionDialog';

const useStyles = makeStyles(theme => ({
  actions: { display: 'flex', gap: theme.spacing(1), whiteSpace: 'nowrap' },
  why: { maxWidth: 460 },
  nowrap: { whiteSpace: 'nowrap' },
}));

function EntityCell(props: { exemption: Exemption }) {
  const tabLink = useComplianceTabLink();
  const entityLink = useEntityRefLink();
  const { entityRef } = props.exemption;
  const ref = parseEntityRef(entityRef);
  const label = humanizeEntityRef(ref, { defaultKind: 'component' });
  if (props.exemption.kind === 'approval') {
    // Gate approvals are asked for before the project exists; there is no page to link to yet.
    return <Typography variant="body2">{label}</Typography>;
  }
  return (
    <Link
      to={ref.kind === 'group' ? entityLink(entityRef) : tabLink(entityRef)}
    >
      {label}
    </Link>
  );
}

function ExemptionTable(props: {
  items: Exemption[];
  label: string;
  titles: Map<string, string>;
  renderActions?: (exemption: Exemption) => JSX.Element | null;
}) {
  const classes = useStyles();
  return (
    <Box overflow="auto">
      <Table size="small" aria-label={props.label}>
        <TableHead>
          <TableRow>
            <TableCell>Entity</TableCell>
            <TableCell>Check</TableCell>
            <TableCell>Requested by</TableCell>
            <TableCell>What, why, and the compensating control</TableCell>
            <TableCell>Expires</TableCell>
            <TableCell>Status</TableCell>
            {props.renderActions && <TableCell>Decision</TableCell>}
          </TableRow>
        </TableHead>
        <TableBody>
          {props.items.map(e => (
            <TableRow key={e.id}>
              <TableCell className={classes.nowrap}>
                <EntityCell exemption={e} />
                {e.kind === 'approval' && (
                  <Box mt={0.5}>
                    <Chip size="small" label="gate approval" />
                  </Box>
                )}
              </TableCell>
              <TableCell>
                <Typography variant="body2">
                  {props.titles.get(e.checkId) ?? e.checkId}
                </Typography>
                <Typography variant="caption" color="textSecondary">
                  {e.checkId}
                </Typography>
              </TableCell>
              <TableCell className={classes.nowrap}>
                <Typography variant="body2">{e.requestedBy}</Typography>
                <Typography variant="caption" color="textSecondary">
                  {formatDate(e.requestedAt)}
                </Typography>
              </TableCell>
              <TableCell className={classes.why}>
                {e.kind === 'approval' && (
                  <ApprovalSubjectSummary subject={e.subject} />
                )}
                <Typography variant="body2">{e.justification}</Typography>
                <Typography variant="caption" color="textSecondary">
                  Compensating control: {e.compensatingControl}
                </Typography>
                {e.decisionNote && (
                  <Typography variant="caption" component="div">
                    Note from {e.decidedBy}: “{e.decisionNote}”
                  </Typography>
                )}
              </TableCell>
              <TableCell className={classes.nowrap}>
                {formatDate(e.expiresAt)}
              </TableCell>
              <TableCell>
                <StatusChip status={e.status} />
              </TableCell>
              {props.renderActions && (
                <TableCell>{props.renderActions(e)}</TableCell>
              )}
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}

/**
 * The compliance queue: pending exemptions and gate approvals with who asked and why, approved or rejected by
 * holders of the approve permission (never by the requester), and the decided ones, which can be revoked.
 */
export function ExemptionQueue() {
  const classes = useStyles();
  const api = useApi(complianceApiRef);
  const identityApi = useApi(identityApiRef);
  const canApprove = usePermission({
    permission: complianceExemptionApprovePermission,
  });
  const me = useAsync(
    async () => (await identityApi.getBackstageIdentity()).userEntityRef,
    [identityApi],
  );
  const exemptions = useAsyncRetry(() => api.listExemptions(), [api]);
  const packs = useAsync(() => api.listPolicyPacks(), [api]);
  const titles = useMemo(
    () =>
      new Map<string, string>([
        [
          APPROVAL_CHECK_IDS.restrictedData,
          'Restricted data: approval to create the project',
        ],
        [
          APPROVAL_CHECK_IDS.costThreshold,
          'Cost above the team threshold: approval to create the project',
        ],
        ...(packs.value ?? []).flatMap(p =>
          p.checks.map(c => [c.id, c.title] as [string, string]),
        ),
      ]),
    [packs.value],
  );
  const [deciding, setDeciding] = useState<{
    exemption: Exemption;
    decision: Decision;
  }>();
  const [done, setDone] = useState<string>();

  async function decide(note: string | undefined) {
    const { exemption, decision } = deciding!;
    try {
      if (decision === 'revoked') await api.revokeExemption(exemption.id, note);
      else await api.decideExemption(exemption.id, { status: decision, note });
    } catch (e) {
      throw new Error(errorMessage(e));
    }
    setDeciding(undefined);
    setDone(
      `${titles.get(exemption.checkId) ?? exemption.checkId} on ${
        exemption.entityRef
      }: ${decision}.`,
    );
    exemptions.retry();
  }

  const all = exemptions.value ?? [];
  const pending = all
    .filter(e => e.status === 'pending')
    .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  const decided = all
    .filter(e => e.status !== 'pending')
    .sort((a, b) =>
      (b.decidedAt ?? b.requestedAt).localeCompare(
        a.decidedAt ?? a.requestedAt,
      ),
    );

  const pendingActions = (e: Exemption) => {
    if (!canApprove.allowed) return null;
    const own = me.value === e.requestedBy;
    const buttons = (
      <div className={classes.actions}>
        <Button
          size="small"
          variant="contained"
          color="primary"
          disabled={own}
          onClick={() => setDeciding({ exemption: e, decision: 'approved' })}
        >
          Approve
        </Button>
        <Button
          size="small"
          variant="outlined"
          disabled={own}
          onClick={() => setDeciding({ exemption: e, decision: 'rejected' })}
        >
          Reject
        </Button>
      </div>
    );
    return own ? (
      <Tooltip title="You requested this; someone else with the compliance role decides.">
        <span>{buttons}</span>
      </Tooltip>
    ) : (
      buttons
    );
  };

  const decidedActions = (e: Exemption) =>
    canApprove.allowed && e.status === 'approved' && e.kind === 'exemption' ? (
      <Button
        size="small"
        onClick={() => setDeciding({ exemption: e, decision: 'revoked' })}
      >
        Revoke
      </Button>
    ) : null;

  let body: JSX.Element;
  if (exemptions.loading && !exemptions.value) {
    body = <Progress />;
  } else if (exemptions.error) {
    body = <ResponseErrorPanel error={exemptions.error} />;
  } else {
    body = (
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <InfoCard
            title={`Waiting for a decision (${pending.length})`}
            subheader={
              canApprove.allowed
                ? 'Exemptions count once approved, until they expire. You cannot decide your own requests.'
                : 'Only people with the compliance role decide; you can follow the queue here.'
            }
          >
            {pending.length === 0 ? (
              <Typography variant="body2">
                Nothing is waiting for a decision.
              </Typography>
            ) : (
              <ExemptionTable
                items={pending}
                label="pending exemptions"
                titles={titles}
                renderActions={pendingActions}
              />
            )}
          </InfoCard>
        </Grid>
        <Grid item xs={12}>
          <InfoCard title={`Decided (${decided.length})`}>
            {decided.length === 0 ? (
              <Typography variant="body2">
                No exemption has been decided yet.
              </Typography>
            ) : (
              <ExemptionTable
                items={decided}
                label="decided exemptions"
                titles={titles}
                renderActions={decidedActions}
              />
            )}
          </InfoCard>
        </Grid>
      </Grid>
    );
  }

  return (
    <Content>
      {done && (
        <Box mb={2}>
          <Alert severity="success" onClose={() => setDone(undefined)}>
            {done}
          </Alert>
        </Box>
      )}
      {body}
      {deciding && (
        <DecisionDialog
          exemption={deciding.exemption}
          decision={deciding.decision}
          title={
            titles.get(deciding.exemption.checkId) ?? deciding.exemption.checkId
          }
          onCancel={() => setDeciding(undefined)}
          onConfirm={decide}
        />
      )}
    </Content>
  );
}
