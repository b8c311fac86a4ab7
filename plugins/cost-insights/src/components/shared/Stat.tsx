import { Box, Typography } from '@material-ui/core';
import { ReactNode } from 'react';

/** A labelled figure; `amount` is kept on the element so tests and tools can read the exact value. */
export function Stat(props: {
  label: string;
  value: string;
  amount?: number;
  detail?: ReactNode;
  large?: boolean;
}) {
  const id = `stat-${props.label.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <Box>
      <Typography variant="overline" color="textSecondary" id={id}>
        {props.label}
      </Typography>
      <Typography
        variant={props.large ? 'h4' : 'h6'}
        aria-labelledby={id}
        data-amount={props.amount}
        role="figure"
      >
        {props.value}
      </Typography>
      {props.detail}
    </Box>
  );
}
