import { makeStyles } from '@material-ui/core';

const useStyles = makeStyles({
  svg: { width: 'auto', height: 30 },
  mark: { fill: '#f5a623' },
  text: {
    fill: '#ffffff',
    fontFamily: 'Helvetica, Arial, sans-serif',
    fontWeight: 700,
  },
});

/** The Forge word mark for the open sidebar. */
export const LogoFull = () => {
  const classes = useStyles();
  return (
    <svg
      className={classes.svg}
      xmlns="http://www.w3.org/2000/svg"
      viewBox="0 0 150 40"
      role="img"
    >
      <title>Forge</title>
      <path
        className={classes.mark}
        d="M4 8h28l-4 8H16l-2 4h10l-4 8H10l-4 8H0z"
      />
      <text className={classes.text} x="40" y="31" fontSize="30">
        Forge
      </text>
    </svg>
  );
};
