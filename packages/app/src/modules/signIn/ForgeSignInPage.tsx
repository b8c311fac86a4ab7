import { useState } from 'react';
import {
  Content,
  Header,
  InfoCard,
  Page,
  ProxiedSignInPage,
  SignInPage,
} from '@backstage/core-components';
import {
  configApiRef,
  microsoftAuthApiRef,
  oktaAuthApiRef,
  useApi,
} from '@backstage/core-plugin-api';
import type { IdentityApi, SignInPageProps } from '@backstage/core-plugin-api';
import {
  Button,
  Grid,
  List,
  ListItem,
  ListItemText,
  Typography,
} from '@material-ui/core';

const PROVIDERS = {
  microsoft: {
    id: 'microsoft-auth-provider',
    title: 'Microsoft Entra ID',
    message: 'Sign in with your Meridian Mutual account',
    apiRef: microsoftAuthApiRef,
  },
  okta: {
    id: 'okta-auth-provider',
    title: 'Okta',
    message: 'Sign in with your Meridian Mutual account',
    apiRef: oktaAuthApiRef,
  },
} as const;

/** Remembered for the browser tab, so a reload keeps the chosen identity; cleared on sign-out. */
const CHOICE_KEY = 'forge.signIn.choice';
type Choice =
  | { provider: 'guest' }
  | { provider: 'forge-demo'; persona: string };

function readChoice(): Choice | undefined {
  try {
    const raw = sessionStorage.getItem(CHOICE_KEY);
    return raw ? (JSON.parse(raw) as Choice) : undefined;
  } catch {
    return undefined;
  }
}

/** Wraps the identity so signing out also forgets the choice. */
function forgetOnSignOut(identity: IdentityApi): IdentityApi {
  return {
    getProfileInfo: () => identity.getProfileInfo(),
    getBackstageIdentity: () => identity.getBackstageIdentity(),
    getCredentials: () => identity.getCredentials(),
    signOut: async () => {
      sessionStorage.removeItem(CHOICE_KEY);
      await identity.signOut();
    },
  };
}

type Persona = { name: string; title: string; role: string };

/** The embedded default's sign-in: enter as guest, or as one of the demo personas to try another role. */
function DemoSignInPage(props: SignInPageProps & { personas: Persona[] }) {
  const [choice, setChoice] = useState<Choice | undefined>(readChoice);
  const choose = (c: Choice) => {
    sessionStorage.setItem(CHOICE_KEY, JSON.stringify(c));
    setChoice(c);
  };
  if (choice) {
    return (
      <ProxiedSignInPage
        onSignInSuccess={identity =>
          props.onSignInSuccess(forgetOnSignOut(identity))
        }
        provider={choice.provider}
        headers={
          choice.provider === 'forge-demo'
            ? { 'x-forge-demo-persona': choice.persona }
            : undefined
        }
      />
    );
  }
  return (
    <Page themeId="home">
      <Header
        title="Sign in to Forge"
        subtitle="Embedded default: demo data, no real accounts"
      />
      <Content>
        <Grid container spacing={3} justifyContent="center">
          <Grid item xs={12} md={4}>
            <InfoCard
              title="Guest"
              subheader="A data engineer in Retention Analytics"
            >
              <Typography paragraph>
                Create projects from blueprints, see your team's scorecards and
                cost, request exemptions.
              </Typography>
              <Button
                variant="contained"
                color="primary"
                onClick={() => choose({ provider: 'guest' })}
              >
                Enter
              </Button>
            </InfoCard>
          </Grid>
          <Grid item xs={12} md={5}>
            <InfoCard
              title="Demo personas"
              subheader="Try Forge in another role"
            >
              <List dense>
                {props.personas.map(p => (
                  <ListItem key={p.name} divider>
                    <ListItemText primary={p.title} secondary={p.role} />
                    <Button
                      variant="outlined"
                      color="primary"
                      aria-label={`Sign in as ${p.title}`}
                      onClick={() =>
                        choose({ provider: 'forge-demo', persona: p.name })
                      }
                    >
                      Sign in
                    </Button>
                  </ListItem>
                ))}
              </List>
            </InfoCard>
          </Grid>
        </Grid>
      </Content>
    </Page>
  );
}

/**
 * Sign-in with the options listed in `forge.signIn.providers`: `guest` and `personas` on the embedded default,
 * `microsoft` (Entra ID) or `okta` in production.
 */
export function ForgeSignInPage(props: SignInPageProps) {
  const config = useApi(configApiRef);
  const names = config.getOptionalStringArray('forge.signIn.providers') ?? [
    'guest',
  ];
  const unknown = names.filter(
    n => n !== 'guest' && n !== 'personas' && !(n in PROVIDERS),
  );
  if (unknown.length > 0) {
    throw new Error(
      `Unknown sign-in provider(s) in forge.signIn.providers: ${unknown.join(
        ', ',
      )}. ` + `Use guest, personas, microsoft or okta.`,
    );
  }
  if (names.includes('personas')) {
    const personas = (
      config.getOptionalConfigArray('forge.signIn.personas') ?? []
    ).map(p => ({
      name: p.getString('name'),
      title: p.getString('title'),
      role: p.getString('role'),
    }));
    return <DemoSignInPage {...props} personas={personas} />;
  }
  const providers = names.map(name =>
    name === 'guest'
      ? ('guest' as const)
      : PROVIDERS[name as keyof typeof PROVIDERS],
  );
  return (
    <SignInPage
      {...props}
      providers={providers}
      title="Sign in to Forge"
      align="center"
    />
  );
}
