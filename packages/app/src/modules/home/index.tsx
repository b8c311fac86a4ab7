import {
  createFrontendModule,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import HomeIcon from '@material-ui/icons/Home';

const forgeHomePage = PageBlueprint.make({
  name: 'home',
  params: {
    path: '/',
    title: 'Home',
    icon: <HomeIcon fontSize="inherit" />,
    noHeader: true,
    loader: () => import('./ForgeHomePage').then(m => <m.ForgeHomePage />),
  },
});

/** The Forge home page at `/`. */
export const homeModule = createFrontendModule({
  pluginId: 'app',
  extensions: [forgeHomePage],
});
