import { createApp } from '@backstage/frontend-defaults';
import { navModule } from './modules/nav';
import { homeModule } from './modules/home';
import { signInModule } from './modules/signIn';

// Plugins listed in package.json are discovered through `app.packages: all`; these modules are Forge's own
// app-level pieces: navigation, the home page and sign-in.
export default createApp({
  features: [navModule, homeModule, signInModule],
});
