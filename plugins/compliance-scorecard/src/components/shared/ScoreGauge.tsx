import { Box, Typography, makeStyles } from '@material-ui/core';
import { Cell, Pie, PieChart } from 'recharts';

/** Green from 90, amber from 70, red below: the colour of a score of 0 to 100 (each 4.5:1 or more on white). */
export function scoreColour(score: number): string {
  if (score >= 90) return '#2e7d32';
  if (score >= 70) return '#a85d00';
  return '#c62828';
}

const useStyles = makeStyles({
  root: { position: 'relative' },
  centre: {
    position: 'absolute',
    inset: 0,
    display: 'flex',
    flexDirection: 'column',
    alignItems: 'center',
    justifyContent: 'center',
  },
  score: { fontWeight: 700, lineHeight: 1 },
});

/** A ring showing a compliance score of 0 to 100, the number in its centre. */
export function ScoreGauge(props: { score: number; size?: number }) {
  const classes = useStyles();
  const size = props.size ?? 132;
  const score = Math.max(0, Math.min(100, Math.round(props.score)));
  const colour = scoreColour(score);
  const data = [
    { name: 'met', value: score },
    { name: 'missing', value: 100 - score },
  ];
  return (
    <Box
      className={classes.root}
      width={size}
      height={size}
      role="img"
      aria-label={`compliance score ${score} of 100`}
    >
      <PieChart width={size} height={size}>
        <Pie
          data={data}
          dataKey="value"
          innerRadius={size * 0.36}
          outerRadius={size * 0.48}
          startAngle={90}
          endAngle={-270}
          stroke="none"
          isAnimationActive={false}
        >
          <Cell fill={colour} />
          <Cell fill="#e0e0e0" />
        </Pie>
      </PieChart>
      <div className={classes.centre} aria-hidden>
        <Typography
          className={classes.score}
          style={{ color: colour, fontSize: size * 0.26 }}
        >
          {score}
        </Typography>
        <Typography variant="caption" color="textSecondary">
          of 100
        </Typography>
      </div>
    </Box>
  );
}
