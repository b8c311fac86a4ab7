import type {
  Scorecard,
  ScorecardCheck,
} from '@internal/plugin-compliance-common';
import {
  Accordion,
  AccordionDetails,
  AccordionSummary,
  Box,
  Button,
  Chip,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Tooltip,
  Typography,
  makeStyles,
} from '@material-ui/core';
import ExpandMoreIcon from '@material-ui/icons/ExpandMore';
import { useMemo } from 'react';
import {
  SeverityChip,
  StatusChip,
  formatDate,
  frameworkLabel,
  groupChecksByFamily,
  type FamilyGroup,
} from '../shared';

const CONTROL_COLOURS: Record<string, string> = {
  pass: '#2e7d32',
  fail: '#c62828',
  exempt: '#1565c0',
  pending: '#ef6c00',
  not_applicable: '#9e9e9e',
};

const useStyles = makeStyles(theme => ({
  summary: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    flexWrap: 'wrap',
    width: '100%',
  },
  familyTitle: { fontWeight: 600, marginRight: theme.spacing(1) },
  spacer: { flexGrow: 1 },
  control: { fontWeight: 600, color: '#fff' },
  remediation: { maxWidth: 420 },
  nowrap: { whiteSpace: 'nowrap' },
}));

/** What a developer reads about a check: when its evidence is due, the exemption that covers it, or the fix. */
function CheckNote(props: { check: ScorecardCheck; failing: boolean }) {
  const { check } = props;
  if (check.status === 'pending') {
    return (
      <Typography variant="body2">
        Waiting for the project's first CI evidence
        {check.dueAt
          ? `; fails if none arrives by ${formatDate(check.dueAt)}`
          : ''}
        . {check.remediation}
      </Typography>
    );
  }
  if (check.status === 'exempt' && check.exemption) {
    return (
      <Typography variant="body2">
        Exempt until {formatDate(check.exemption.expiresAt)}
        {check.exemption.decidedBy &&
          ` (approved by ${check.exemption.decidedBy})`}
      </Typography>
    );
  }
  return (
    <Typography
      variant="body2"
      color={props.failing ? 'textPrimary' : 'textSecondary'}
    >
      {check.remediation}
    </Typography>
  );
}

function CheckRow(props: {
  check: ScorecardCheck;
  exemptionPending: boolean;
  onRequestExemption?: (check: ScorecardCheck) => void;
}) {
  const classes = useStyles();
  const { check } = props;
  const failing = check.status === 'fail' || check.status === 'error';
  return (
    <TableRow>
      <TableCell>
        <StatusChip status={check.status} />
      </TableCell>
      <TableCell>
        <Typography variant="body2">{check.title}</Typography>
        <Typography variant="caption" color="textSecondary">
          {check.checkId} · {check.level} · {check.controls.join(', ')}
        </Typography>
      </TableCell>
      <TableCell>
        <SeverityChip severity={check.severity} />
      </TableCell>
      <TableCell className={classes.nowrap}>
        {formatDate(check.since)}
      </TableCell>
      <TableCell className={classes.remediation}>
        <CheckNote check={check} failing={failing} />
        {failing && props.exemptionPending && (
          <Typography variant="caption" color="textSecondary" component="p">
            An exemption request is waiting for compliance.
          </Typography>
        )}
        {failing && !props.exemptionPending && props.onRequestExemption && (
          <Button
            size="small"
            color="primary"
            onClick={() => props.onRequestExemption!(check)}
          >
            Request exemption
          </Button>
        )}
      </TableCell>
    </TableRow>
  );
}

/** `2 of 5 checks failing, 1 exempt` or `3 checks, none failing`. */
export function familySummary(family: FamilyGroup): string {
  const total = family.checks.length;
  const exempt = family.checks.filter(c => c.status === 'exempt').length;
  const counted = family.failing
    ? `${family.failing} of ${total} checks failing`
    : `${total} ${total === 1 ? 'check' : 'checks'}, none failing`;
  return exempt ? `${counted}, ${exempt} exempt` : counted;
}

/**
 * Every check of the scorecard under the SOC 2 and NIST 800-53 control families it evidences, each family with
 * the status of its controls. Families with failing checks start open.
 */
export function ChecksByFamily(props: {
  scorecard: Scorecard;
  /** Checks with an exemption request waiting for a decision; another cannot be filed meanwhile. */
  pendingCheckIds?: ReadonlySet<string>;
  onRequestExemption?: (check: ScorecardCheck) => void;
}) {
  const classes = useStyles();
  const families = useMemo(
    () => groupChecksByFamily(props.scorecard),
    [props.scorecard],
  );
  if (families.length === 0) {
    return (
      <Typography variant="body2">
        No check of the policy packs applies to this entity.
      </Typography>
    );
  }
  return (
    <div>
      {families.map(family => (
        <Accordion
          key={family.key}
          defaultExpanded={family.failing > 0}
          TransitionProps={{ unmountOnExit: true }}
        >
          <AccordionSummary
            expandIcon={<ExpandMoreIcon />}
            aria-controls={`${family.key}-content`}
            id={`${family.key}-header`}
          >
            <div className={classes.summary}>
              <Typography className={classes.familyTitle}>
                {frameworkLabel(family.framework)} {family.family} ·{' '}
                {family.name}
              </Typography>
              {family.controls.map(control => (
                <Tooltip
                  key={control.id}
                  title={`${control.title}: ${control.status.replace(
                    '_',
                    ' ',
                  )}`}
                >
                  <Chip
                    size="small"
                    label={control.id}
                    className={classes.control}
                    style={{ background: CONTROL_COLOURS[control.status] }}
                  />
                </Tooltip>
              ))}
              <span className={classes.spacer} />
              <Typography
                variant="body2"
                color={family.failing ? 'error' : 'textSecondary'}
              >
                {familySummary(family)}
              </Typography>
            </div>
          </AccordionSummary>
          <AccordionDetails>
            <Box width="100%" overflow="auto">
              <Table
                size="small"
                aria-label={`${frameworkLabel(family.framework)} ${
                  family.family
                } checks`}
              >
                <TableHead>
                  <TableRow>
                    <TableCell>Status</TableCell>
                    <TableCell>Check</TableCell>
                    <TableCell>Severity</TableCell>
                    <TableCell>Since</TableCell>
                    <TableCell>Remediation</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {family.checks.map(check => (
                    <CheckRow
                      key={check.checkId}
                      check={check}
                      exemptionPending={
                        props.pendingCheckIds?.has(check.checkId) ?? false
                      }
                      onRequestExemption={props.onRequestExemption}
                    />
                  ))}
                </TableBody>
              </Table>
            </Box>
          </AccordionDetails>
        </Accordion>
      ))}
    </div>
  );
}
