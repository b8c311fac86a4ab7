import { makeStyles } from '@material-ui/core';

const useStyles = makeStyles({
  svg: { width: 'auto', height: 28 },
  mark: { fill: '#f5a623' },
});

/** The Forge mark for the collapsed sidebar. */
export const LogoIcon = () => {
  const classes = useStyles();
  return (
    <svg
      className={classes.svg}
      xmlns="http://www.w3.org/2000/svg"
      viewBox="0 0 36 40"
      role="img"
    >
      <title>Forge</title>
      <path
        className={classes.mark}
        d="M4 8h28l-4 8H16l-2 4h10l-4 8H10l-4 8H0z"
      />
    </svg>
  );
};
