import { FormEvent, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import {
  Content,
  Header,
  InfoCard,
  Link,
  LinkButton,
  Page,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import {
  Box,
  Grid,
  InputAdornment,
  TextField,
  Typography,
  makeStyles,
} from '@material-ui/core';
import SearchIcon from '@material-ui/icons/Search';

const useStyles = makeStyles(theme => ({
  figure: { fontSize: '2.2rem', fontWeight: 700, lineHeight: 1.1 },
  offer: { height: '100%' },
  search: { background: theme.palette.background.paper, borderRadius: 4 },
}));

/** What Forge offers each kind of user, and where it lives in the portal. */
const OFFERS = [
  {
    title: 'Start a project',
    audience: 'Data engineers and data scientists',
    text:
      'Pick an analytics or ML blueprint, fill one form and get a working project - code, tests, CI, docs, ' +
      'environment manifests and a catalog entry - checked for compliance and costed before it exists.',
    link: '/create',
    action: 'Open Create',
  },
  {
    title: 'Find what exists',
    audience: 'Everyone',
    text:
      'The catalog holds the organisation, its systems, the data resources projects read from and every ' +
      'project with its owner, classification and cost center.',
    link: '/catalog',
    action: 'Open the catalog',
  },
  {
    title: 'Read the docs',
    audience: 'Everyone',
    text: 'Platform documentation and each project\u2019s TechDocs, rendered in the portal and searchable.',
    link: '/docs/default/system/forge',
    action: 'Read the Forge docs',
  },
];

const COUNTED_KINDS = [
  { kind: 'Component', label: 'projects' },
  { kind: 'System', label: 'systems' },
  { kind: 'Resource', label: 'data resources' },
  { kind: 'Group', label: 'teams' },
];

function CatalogFigures() {
  const classes = useStyles();
  const catalogApi = useApi(catalogApiRef);
  const { value } = useAsync(async () => {
    const { facets } = await catalogApi.getEntityFacets({ facets: ['kind'] });
    const counts = new Map(
      facets.kind.map(f => [f.value.toLocaleLowerCase('en-US'), f.count]),
    );
    return COUNTED_KINDS.map(k => ({
      ...k,
      count: counts.get(k.kind.toLocaleLowerCase('en-US')) ?? 0,
    }));
  }, [catalogApi]);
  return (
    <InfoCard title="What Forge knows">
      <Grid container spacing={2}>
        {(value ?? COUNTED_KINDS.map(k => ({ ...k, count: undefined }))).map(
          k => (
            <Grid item xs={6} md={3} key={k.kind}>
              <Link
                to={`/catalog?filters[kind]=${k.kind.toLocaleLowerCase(
                  'en-US',
                )}`}
              >
                <Typography
                  className={classes.figure}
                  data-testid={`count-${k.kind}`}
                >
                  {k.count ?? '\u2013'}
                </Typography>
              </Link>
              <Typography variant="body2">{k.label}</Typography>
            </Grid>
          ),
        )}
      </Grid>
    </InfoCard>
  );
}

function SearchBox() {
  const classes = useStyles();
  const navigate = useNavigate();
  const [query, setQuery] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(`/search?query=${encodeURIComponent(query)}`);
  };
  return (
    <form onSubmit={submit} role="search">
      <TextField
        fullWidth
        variant="outlined"
        className={classes.search}
        placeholder="Search projects, data resources, teams and docs"
        value={query}
        onChange={e => setQuery(e.target.value)}
        inputProps={{ 'aria-label': 'Search Forge' }}
        InputProps={{
          startAdornment: (
            <InputAdornment position="start">
              <SearchIcon />
            </InputAdornment>
          ),
        }}
      />
    </form>
  );
}

/** The Forge home page: what the platform offers and where to start. */
export function ForgeHomePage() {
  const classes = useStyles();
  return (
    <Page themeId="home">
      <Header
        title="Forge"
        subtitle="From idea to a compliant, costed analytics environment in minutes"
      />
      <Content>
        <Grid container spacing={3}>
          <Grid item xs={12}>
            <SearchBox />
          </Grid>
          {OFFERS.map(offer => (
            <Grid item xs={12} md={4} key={offer.title}>
              <InfoCard
                title={offer.title}
                subheader={offer.audience}
                className={classes.offer}
              >
                <Typography variant="body1" paragraph>
                  {offer.text}
                </Typography>
                <Box display="flex" justifyContent="flex-end">
                  <LinkButton
                    to={offer.link}
                    color="primary"
                    variant="contained"
                  >
                    {offer.action}
                  </LinkButton>
                </Box>
              </InfoCard>
            </Grid>
          ))}
          <Grid item xs={12}>
            <CatalogFigures />
          </Grid>
        </Grid>
      </Content>
    </Page>
  );
}
