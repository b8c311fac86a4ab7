import { parseEntityRef } from '@backstage/catalog-model';
import { humanizeEntityRef } from '@backstage/plugin-catalog-react';
import {
  formatMoney,
  type ApprovalSubject,
} from '@internal/plugin-compliance-common';
import { Box, Typography, makeStyles } from '@material-ui/core';
import { Alert } from '@material-ui/lab';

const useStyles = makeStyles(theme => ({
  // Never wider than the justification column: a long name is ellipsised (its full text in the title), never split.
  summary: { maxWidth: 440, marginBottom: theme.spacing(0.5) },
  facts: {
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(2),
    rowGap: theme.spacing(0.5),
    margin: theme.spacing(0, 0, 2),
    '& dt': { fontWeight: theme.typography.fontWeightMedium },
    '& dd': { margin: 0, overflowWrap: 'anywhere' },
  },
}));

function shortRef(ref: string, defaultKind: string): string {
  try {
    return humanizeEntityRef(parseEntityRef(ref), { defaultKind });
  } catch {
    return ref;
  }
}

/** `3,000.00 EUR a month, above the threshold of 1,500.00 EUR`. */
export function costText(cost: NonNullable<ApprovalSubject['cost']>): string {
  return `${formatMoney(
    cost.monthlyTotal,
    cost.currency,
  )} a month, above the threshold of ${formatMoney(
    cost.approvalThreshold,
    cost.currency,
  )}`;
}

const NO_SUBJECT =
  'No subject recorded (filed before approvals said what they approve): the gate does not accept it; the requester asks again.';

/**
 * What a gate approval approves, in short, for a row of the queue: the template, owner and classification on one
 * line (ellipsised, in full on hover), the estimate and the threshold it crossed on the next.
 */
export function ApprovalSubjectSummary(props: {
  subject: ApprovalSubject | undefined;
}) {
  const classes = useStyles();
  const { subject } = props;
  if (!subject) {
    return (
      <Typography variant="caption" color="error" component="div">
        {NO_SUBJECT}
      </Typography>
    );
  }
  const line = [
    subject.templateRef
      ? shortRef(subject.templateRef, 'template')
      : 'no template',
    `for ${shortRef(subject.ownerRef, 'group')}`,
    subject.classification ?? 'no classification',
    subject.restrictedSources.length
      ? `${subject.restrictedSources.length} restricted source${
          subject.restrictedSources.length === 1 ? '' : 's'
        }`
      : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <div className={classes.summary} data-testid="approval-subject">
      <Typography
        variant="body2"
        noWrap
        title={[
          `Template: ${subject.templateRef ?? 'not recorded'}`,
          `Owner: ${subject.ownerRef}`,
          `Classification: ${subject.classification ?? 'not recorded'}`,
          `Restricted sources: ${
            subject.restrictedSources.join(', ') || 'none'
          }`,
        ].join('\n')}
      >
        {line}
      </Typography>
      {subject.cost && (
        <Typography variant="body2" component="div">
          {costText(subject.cost)}
        </Typography>
      )}
    </div>
  );
}

/** What a gate approval approves, in full, where the decision is taken. */
export function ApprovalSubjectDetails(props: {
  subject: ApprovalSubject | undefined;
}) {
  const classes = useStyles();
  const { subject } = props;
  if (!subject) {
    return (
      <Box mb={2}>
        <Alert severity="warning">{NO_SUBJECT}</Alert>
      </Box>
    );
  }
  const facts: Array<[string, string]> = [
    ['Template', subject.templateRef ?? 'not recorded'],
    ['Owner', subject.ownerRef],
    ['Data classification', subject.classification ?? 'not recorded'],
    [
      'Restricted sources',
      subject.restrictedSources.length
        ? subject.restrictedSources.join(', ')
        : 'none',
    ],
    [
      'Monthly estimate',
      subject.cost
        ? formatMoney(subject.cost.monthlyTotal, subject.cost.currency)
        : 'no estimate',
    ],
    ...(subject.cost
      ? ([
          [
            'Threshold crossed',
            formatMoney(subject.cost.approvalThreshold, subject.cost.currency),
          ],
        ] as Array<[string, string]>)
      : []),
  ];
  return (
    <>
      <Typography variant="subtitle2">What you decide on</Typography>
      <Typography variant="body2" color="textSecondary">
        The gate accepts this approval only for a request that matches it: the
        same person, template, owner, classification and restricted sources
        {subject.cost ? ', and an estimate no higher' : ''}.
      </Typography>
      <dl className={classes.facts} aria-label="approval subject">
        {facts.map(([term, value]) => (
          <Box key={term} display="contents">
            <Typography variant="body2" component="dt">
              {term}
            </Typography>
            <Typography variant="body2" component="dd">
              {value}
            </Typography>
          </Box>
        ))}
      </dl>
    </>
  );
}
