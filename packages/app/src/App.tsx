import { createApp } from '@backstage/frontend-defaults';
import { navModule } from './modules/nav';
import { homeModule } from './modules/home';
import { signInModule } from './modules/signIn';
import { entityModule } from './modules/entity';
import { repositoriesModule } from './modules/repositories';

// Plugins listed in package.json are discovered through `app.packages: all`; these modules are Forge's own
// app-level pieces: navigation, the home page, sign-in, entity page additions and the local repository page.
export default createApp({
  features: [
    navModule,
    homeModule,
    signInModule,
    entityModule,
    repositoriesModule,
  ],
});
